using System.Collections;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Api.Tests;

/// <summary>
/// The dashboard page in a real browser (Debian's Chromium, headless, through Playwright): browse to a table, page it,
/// sort by a column, filter by a class name, chart a column, open a sample, compare two epochs — checked against the
/// table; a label written as markup stays text. Screenshots of each page go to <c>TestResults/dashboard</c> beside the test assembly.
/// </summary>
public sealed class DashboardBrowserTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const int Rows = 300;

    private static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard")).FullName;

    private static float Loss(int i) => (i * 7 % Rows) / (float)Rows;

    [Fact(Timeout = 180_000)]
    public async Task Dashboard_BrowseSortFilterChartSample_MatchesTheTable_MarkupStaysText()
    {
        using var table = await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["label"] = Enumerable.Range(0, Rows).Select(i => i % 3).ToArray(),
            ["loss"] = Enumerable.Range(0, Rows).Select(Loss).ToArray(),
            ["name"] = Enumerable.Range(0, Rows).Select(i => i == 3 ? "<img src=x onerror=\"document.title='pwned'\">" : $"sample {i}").ToArray(),
        }, new ImportOptions
        {
            Project = "browser", Dataset = "data", Table = "grid", Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = Tables.IfExists.Overwrite,
            Schema = new Dictionary<string, ColumnSchema> { ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]) },
        });
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        // Browse: the project and its table.
        await page.GotoAsync(fixture.Host.Url + "/");
        await Assertions.Expect(page.GetByTestId("project-browser")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "1-browse.png"), FullPage = true });
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "grid", Exact = true }).ClickAsync();

        // The grid: a screenful of rows in table order (only those in the DOM), labels by class name, the markup as text.
        var grid = page.GetByTestId("grid");
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{Rows} of {Rows} rows");
        var firstRows = await grid.Locator("tr[data-row]").EvaluateAllAsync<int[]>("rows => rows.map(r => Number(r.dataset.row))");
        Assert.InRange(firstRows.Length, 10, Rows / 2);
        Assert.Equal(Enumerable.Range(0, firstRows.Length), firstRows);
        Assert.Equal("dog", await grid.Locator("tr[data-row='1'] td[data-column='label']").TextContentAsync());
        Assert.Equal("<img src=x onerror=\"document.title='pwned'\">", await grid.Locator("tr[data-row='3'] td[data-column='name']").TextContentAsync());
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        await Assertions.Expect(page.GetByTestId("histogram")).ToHaveAttributeAsync("data-total", Rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "2-grid.png"), FullPage = true });

        // Sort by loss (click the header twice: descending).
        await grid.Locator("th[data-column='loss']").ClickAsync();
        await Assertions.Expect(grid.Locator("th[data-column='loss']")).ToHaveClassAsync(new Regex("sorted"));
        await grid.Locator("th[data-column='loss']").ClickAsync();
        await Assertions.Expect(grid.Locator("th[data-column='loss']")).ToHaveClassAsync(new Regex("desc"));
        var expectedTop = Enumerable.Range(0, Rows).OrderByDescending(Loss).ThenBy(i => i).Take(5).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expectedTop, (await grid.Locator("tr[data-row]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.row)")).Take(5));

        // Filter by a class name: a third of the rows, every one a dog; the chart counts only them.
        await page.GetByTestId("filter").FillAsync("label==dog");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{Rows / 3} of {Rows} rows");
        Assert.All(await grid.Locator("td[data-column='label']").AllTextContentsAsync(), label => Assert.Equal("dog", label));
        var dogs = await DashboardGrid.RowsAsync(page, "label", "loss");
        Assert.Equal(Enumerable.Range(0, Rows).Where(i => i % 3 == 1).OrderByDescending(Loss).ThenBy(i => i).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), dogs.Select(r => r[0]));
        Assert.All(dogs, r => Assert.Equal("dog", r[1]));
        await Assertions.Expect(page.GetByTestId("histogram")).ToHaveAttributeAsync("data-total", (Rows / 3).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.GetByTestId("chart-column").SelectOptionAsync("label");
        await Assertions.Expect(page.Locator(".bar-row[data-value='dog']")).ToContainTextAsync((Rows / 3).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(200, (await page.Locator(".bar-row[data-value='dog'] .bar").BoundingBoxAsync())!.Width, 1);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "3-filtered.png"), FullPage = true });

        // A sample: every value of its row.
        var first = await grid.Locator("tr[data-row]").First.GetAttributeAsync("data-row");
        await grid.Locator("tr[data-row]").First.Locator("a").ClickAsync();
        var sample = page.GetByTestId("sample");
        await Assertions.Expect(sample).ToBeVisibleAsync();
        var row = int.Parse(first!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal("dog", await sample.Locator("dd[data-column='label']").TextContentAsync());
        Assert.Equal($"sample {row}", await sample.Locator("dd[data-column='name']").TextContentAsync());
        Assert.Equal(Loss(row), float.Parse((await sample.Locator("dd[data-column='loss']").TextContentAsync())!, System.Globalization.CultureInfo.InvariantCulture), 5);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "4-sample.png"), FullPage = true });

        Assert.NotEqual("pwned", await page.TitleAsync());
        Assert.Empty(errors);
    }

    [Fact(Timeout = 120_000)]
    public async Task Dashboard_ImageTable_ThumbnailsInTheGridAndTheImageOfASample()
    {
        using var table = await DashboardApiTests.ImagesAsync(fixture, 12, "thumbs");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}");
        var thumbs = page.Locator("table.grid img.thumb");
        await Assertions.Expect(thumbs.First).ToBeVisibleAsync();
        Assert.Equal(await page.Locator("table.grid tr[data-row]").CountAsync(), await thumbs.CountAsync());
        Assert.Equal(Enumerable.Repeat("1", 12), (await DashboardGrid.RowsAsync(page)).Select(r => r[1])); // every row of the 12 has its thumbnail
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('table.grid img.thumb')].every(i => i.complete && i.naturalWidth > 0)");
        var size = await thumbs.First.EvaluateAsync<int[]>("i => [i.naturalWidth, i.naturalHeight]");
        Assert.Equal(new[] { 40, 20 }, size); // fits 64 × 64 already: never scaled up
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "5-thumbnails.png"), FullPage = true });

        await page.Locator("tr[data-row='7'] a").ClickAsync();
        var large = page.Locator("dl.sample img.thumb");
        await Assertions.Expect(large).ToBeVisibleAsync();
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('dl.sample img.thumb'); return i && i.complete && i.naturalWidth > 0; }");
        var largeSize = await large.EvaluateAsync<int[]>("i => [i.naturalWidth, i.naturalHeight]");
        Assert.Equal(new[] { 40, 20 }, largeSize);
        Assert.Equal("odd", await page.Locator("dd[data-column='label']").TextContentAsync());
    }

    [Fact(Timeout = 120_000)]
    public async Task Dashboard_RunMetricsTable_JoinedToItsInput_ImagesAndLabelsBesideLoss_FilterOnTheInput()
    {
        using var input = await DashboardApiTests.ImagesAsync(fixture, 30, "drill-input");
        using var metrics = await DashboardApiTests.MetricsAsync(fixture, input, "drill");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

        // From the run's list of metrics tables to the joined grid.
        await page.GotoAsync(fixture.Host.Url + "/");
        await page.GetByTestId("runs").Locator("tr", new LocatorLocatorOptions { HasText = "drill" })
            .GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = "eval (30 rows)" }).ClickAsync(); // other tests add runs of 30 rows
        var grid = page.GetByTestId("grid");
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("30 of 30 rows");
        await Assertions.Expect(grid.Locator("img.thumb").First).ToBeVisibleAsync();
        Assert.Equal(Enumerable.Repeat("1", 30), (await DashboardGrid.RowsAsync(page)).Select(r => r[1])); // every row of the 30 has its thumbnail

        // The confusion matrix of the input's label by the prediction: a cell opens its samples.
        var cell = page.GetByTestId("confusion").Locator("td[data-actual='1'][data-predicted='0']");
        await Assertions.Expect(cell).ToHaveTextAsync("10");
        await cell.ClickAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("10 of 30 rows");
        var cellRows = await DashboardGrid.RowsAsync(page, "label", "predicted");
        Assert.Equal(10, cellRows.Length);
        Assert.All(cellRows, r => Assert.Equal(["odd", "even"], r[1..3]));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "6a-confusion-cell.png"), FullPage = true });
        await page.GoBackAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("30 of 30 rows");

        await page.GetByTestId("filter").FillAsync("label==odd; loss>=0.5");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Filter" }).ClickAsync();
        var expected = Enumerable.Range(0, 30).Count(i => i % 2 == 1 && (i * 7 % 30) / 30f >= 0.5f);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{expected} of 30 rows");
        Assert.All(await DashboardGrid.RowsAsync(page, "label"), r => Assert.Equal("odd", r[1]));
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('table.grid img.thumb')].every(i => i.complete && i.naturalWidth > 0)");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "6-metrics-joined.png"), FullPage = true });
    }

    [Fact(Timeout = 120_000)]
    public async Task Dashboard_CompareTwoEpochs_SortedByTheLossDelta_SampleShowsItsLossInEachEpoch()
    {
        using var input = await DashboardApiTests.ImagesAsync(fixture, 30, "epochs-input");
        var epochs = await DashboardApiTests.EpochsAsync(fixture, input, "epochs", DashboardApiTests.EarlyLoss, DashboardApiTests.LateLoss);
        using var a = epochs[0];
        using var b = epochs[1];
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        static double Number(string? text) => double.Parse(text!, System.Globalization.CultureInfo.InvariantCulture);

        // Epoch 1's grid, compared with epoch 2 from the select: sorted by the loss delta, largest first.
        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(a.Url.Value)}&join=input");
        var select = page.GetByTestId("compare");
        await Assertions.Expect(select.Locator("option")).ToHaveCountAsync(2);
        await Assertions.Expect(select.Locator($"option[value='{b.Url.Value}']")).ToContainTextAsync("dash/epochs · eval · epoch 2 (30 rows)");
        await select.SelectOptionAsync(b.Url.Value);
        var grid = page.GetByTestId("grid");
        await Assertions.Expect(grid.Locator("th[data-column='delta.loss']")).ToHaveClassAsync(new Regex("sorted desc"));
        Assert.Contains("compare=", await page.EvaluateAsync<string>("() => location.hash"), StringComparison.Ordinal);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("30 of 30 rows");
        var expected = Enumerable.Range(0, 30).OrderByDescending(i => DashboardApiTests.Delta(i)).ThenBy(i => i).ToList();
        var shown = await DashboardGrid.RowsAsync(page, "delta.loss", "b.loss", "loss");
        Assert.Equal(expected.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), shown.Select(r => r[0]));
        foreach (var row in shown)
        {
            var id = int.Parse(row[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(DashboardApiTests.Delta(id), Number(row[1]), 5);
            Assert.Equal(DashboardApiTests.LateLoss(id), Number(row[2]), 5);
            Assert.Equal(DashboardApiTests.EarlyLoss(id), Number(row[3]), 5);
            Assert.Equal("1", row[4]); // its thumbnail
        }
        await Assertions.Expect(page.GetByTestId("histogram")).ToHaveAttributeAsync("data-total", "30");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "10-compare.png"), FullPage = true });

        // Filtering keeps the comparison: the samples whose loss grew.
        await page.GetByTestId("filter").FillAsync("delta.loss>0");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{expected.Count(i => DashboardApiTests.Delta(i) > 0)} of 30 rows");

        // The top sample: its loss in each epoch of the run.
        var top = expected[0];
        await grid.Locator($"tr[data-row='{top}'] a").ClickAsync();
        var history = page.GetByTestId("sample-epochs");
        await Assertions.Expect(history.Locator("tr[data-epoch]")).ToHaveCountAsync(2);
        Assert.Equal(DashboardApiTests.EarlyLoss(top), Number(await history.Locator("tr[data-epoch='1'] td[data-column='loss']").TextContentAsync()), 5);
        Assert.Equal(DashboardApiTests.LateLoss(top), Number(await history.Locator("tr[data-epoch='2'] td[data-column='loss']").TextContentAsync()), 5);
        await Assertions.Expect(page.GetByTestId("chart-loss")).ToHaveAttributeAsync("data-points", "2");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "11-sample-epochs.png"), FullPage = true });
        Assert.Empty(errors);
    }

    [Fact(Timeout = 120_000)]
    public async Task Dashboard_SelectRowsSetWeight_RevisionOnDisk_StaleBaseShowsTheConflictAndTheHead()
    {
        using var table = await DashboardApiTests.ImagesAsync(fixture, 10, "curate");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        var baseUrl = $"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}";

        await page.GotoAsync(baseUrl);
        await page.Locator("input[data-select='2']").CheckAsync();
        await page.Locator("input[data-select='5']").CheckAsync();
        await Assertions.Expect(page.GetByTestId("selected")).ToHaveTextAsync("2 selected");
        await Assertions.Expect(page.GetByTestId("edit-label")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("editbar")).Not.ToContainTextAsync("[object");
        await page.GetByTestId("edit-weight").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Set weight" }).ClickAsync();

        // The page moves to the new revision; on disk, rows 2 and 5 weigh 0 and the rest 1.
        await page.WaitForFunctionAsync("() => decodeURIComponent(location.hash).includes('curate') && !decodeURIComponent(location.hash).endsWith('curate')");
        var revisionUrl = new Uri("http://x/?" + (await page.EvaluateAsync<string>("() => location.hash.split('?')[1]"))).Query.TrimStart('?').Split('&')
            .Select(p => p.Split('=')).Single(p => p[0] == "url")[1];
        using (var revision = await Tables.Table.OpenAsync(Uri.UnescapeDataString(revisionUrl), cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.Equal(1, revision.Object.Revision.Number);
            Assert.Equal(Enumerable.Range(0, 10).Select(r => r is 2 or 5 ? 0f : 1f), Enumerable.Range(0, 10).Select(r => (float)revision.GetValue("weight", r)!));
        }
        await Assertions.Expect(page.Locator("tr[data-row='5'] td[data-column='weight']")).ToHaveTextAsync("0");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "7-edited.png"), FullPage = true });

        // Editing the old base again: a clear conflict naming the head, with a link to it; nothing published.
        await page.GotoAsync(baseUrl);
        await page.ReloadAsync();
        await page.Locator("input[data-select='1']").CheckAsync();
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Set weight" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("edit-error")).ToContainTextAsync("the head of its lineage is now");
        await Assertions.Expect(page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "open the current head" })).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "8-conflict.png"), FullPage = true });
    }

    [Fact(Timeout = 120_000)]
    public async Task Dashboard_RunPage_ParametersAndOneChartPerQuantityWithItsSplits()
    {
        await using (var run = await Runs.InitAsync(fixture.Context, "charts", "trained", ifExists: RunIfExists.Overwrite,
            parameters: new Dictionary<string, object?> { ["lr"] = 0.05, ["epochs"] = 4 }))
        {
            for (var epoch = 0; epoch < 4; epoch++)
            {
                await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = epoch, ["train_loss"] = 2.0 / (epoch + 1), ["val_loss"] = 2.5 / (epoch + 1), ["val_accuracy"] = 0.5 + (epoch * 0.1) });
            }
        }
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync();

        await page.GotoAsync(fixture.Host.Url + "/");
        await page.GetByTestId("runs").GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = "trained" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("run-status")).ToContainTextAsync("4 log entries");
        await Assertions.Expect(page.GetByTestId("run-parameters")).ToContainTextAsync("\"lr\": 0.05");
        await Assertions.Expect(page.GetByTestId("chart-loss")).ToHaveAttributeAsync("data-series", "train_loss,val_loss");
        await Assertions.Expect(page.GetByTestId("chart-loss")).ToHaveAttributeAsync("data-points", "8");
        await Assertions.Expect(page.GetByTestId("chart-accuracy")).ToHaveAttributeAsync("data-series", "val_accuracy");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "9-run.png"), FullPage = true });
    }

    [Fact(Timeout = 180_000)]
    public async Task Dashboard_JobsPage_JobsLive_CountsStatusErrorsAndResultLinks_StopsReadingWhenLeft()
    {
        var ct = TestContext.Current.CancellationToken;
        var (import, chunks) = await JobsApiTests.SubmitImportAsync(fixture, 4000, "live");
        var (bad, _) = await JobsApiTests.SubmitImportAsync(fixture, 600, "live-bad", badLine: 500);
        var (sink, run, writers, input) = await JobsApiTests.OpenRanksAsync(fixture, 40, "live-ranks");
        await using (run)
        using (input)
        {
            using var playwright = await Playwright.CreateAsync();
            await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 900 }, Locale = "en-US" });
            var errors = new List<string>();
            page.PageError += (_, error) => errors.Add(error);
            var reads = 0;
            page.Request += (_, request) =>
            {
                if (new Uri(request.Url).AbsolutePath == "/v1/jobs")
                {
                    Interlocked.Increment(ref reads);
                }
            };
            var running = page.GetByTestId("running-jobs");
            var recent = page.GetByTestId("recent-jobs");
            var importRow = page.Locator($"tr[data-job='{import.Id}']");
            var ranksRow = page.Locator($"tr[data-job='{sink}']");

            // From the header's link: both jobs running, the import with none of its chunks committed (no worker runs yet).
            await page.GotoAsync(fixture.Host.Url + "/");
            await page.GetByTestId("jobs-link").ClickAsync();
            await Assertions.Expect(running.Locator($"tr[data-job='{import.Id}'] [data-field='status']")).ToHaveTextAsync("pending");
            await Assertions.Expect(importRow.Locator("[data-field='kind']")).ToHaveTextAsync("import");
            await Assertions.Expect(importRow.Locator("[data-field='counts']")).ToHaveTextAsync($"0/{chunks} chunks committed");
            await Assertions.Expect(running.Locator($"tr[data-job='{sink}'] [data-field='counts']")).ToHaveTextAsync("0/2 ranks closed, waiting for ranks 0, 1");

            // A rank closes: the page shows it without being reloaded.
            await writers[0].CloseAsync(ct);
            await Assertions.Expect(ranksRow.Locator("[data-field='counts']")).ToHaveTextAsync("1/2 ranks closed, waiting for rank 1");
            await Assertions.Expect(ranksRow.Locator("progress")).ToHaveAttributeAsync("max", "2");
            Assert.Equal(1, await ranksRow.Locator("progress").EvaluateAsync<double>("p => p.value"));

            // Workers run the imports: the good one moves to the recent jobs with every chunk and row counted and its bar full;
            // the bad one failed, its error (the bad value is markup) shown as text.
            await using (JobsApiTests.Workers(fixture))
            {
                Assert.Equal(Cluster.JobStatus.Completed, (await import.WaitForEndAsync(cancellationToken: ct)).Status);
                Assert.Equal(Cluster.JobStatus.Failed, (await bad.WaitForEndAsync(cancellationToken: ct)).Status);
            }
            await Assertions.Expect(recent.Locator($"tr[data-job='{bad.Id}'] [data-field='status']")).ToHaveTextAsync("failed");
            await Assertions.Expect(page.Locator($"tr[data-job='{bad.Id}'] [data-field='errors'] li")).ToContainTextAsync("line 500, column 'id': expected int64, got JSON string \"<b>not a number</b>\"");
            Assert.Equal(0, await page.Locator("main b").CountAsync());
            Assert.Equal(0, await page.Locator($"tr[data-job='{bad.Id}'] [data-field='result'] a").CountAsync());
            await Assertions.Expect(recent.Locator($"tr[data-job='{import.Id}'] [data-field='status']")).ToHaveTextAsync("completed");
            await Assertions.Expect(importRow.Locator("[data-field='counts']")).ToHaveTextAsync($"{chunks}/{chunks} chunks committed");
            await Assertions.Expect(importRow.Locator("[data-field='rows']")).ToHaveTextAsync("4,000");
            Assert.True(await importRow.Locator("progress").EvaluateAsync<bool>("p => p.value === p.max && p.max > 1"));

            // The last rank closes: the table is published, the job ends.
            await writers[1].CloseAsync(ct);
            await Assertions.Expect(recent.Locator($"tr[data-job='{sink}'] [data-field='status']")).ToHaveTextAsync("completed");
            // The finished job counts every row it published, in the same answer that says it completed.
            Assert.Equal("40", await ranksRow.Locator("[data-field='rows']").TextContentAsync());
            await Assertions.Expect(running).ToContainTextAsync("No job is running.");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "10-jobs.png"), FullPage = true });
            Assert.True(reads >= 3, $"{reads} reads of /v1/jobs");

            // A metrics table opens beside its input rows; once the page is left, it reads the jobs no more.
            await ranksRow.Locator("[data-field='result'] a").ClickAsync();
            await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("40 of 40 rows");
            Assert.Contains("join=input", await page.EvaluateAsync<string>("() => location.hash"), StringComparison.Ordinal);
            var left = Volatile.Read(ref reads);
            await Task.Delay(2500, ct);
            Assert.Equal(left, Volatile.Read(ref reads));

            // An imported table opens as it is.
            await page.GoBackAsync();
            await importRow.Locator("[data-field='result'] a").ClickAsync();
            await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("4,000 of 4,000 rows");
            Assert.DoesNotContain("join=", await page.EvaluateAsync<string>("() => location.hash"), StringComparison.Ordinal);
            foreach (var writer in writers)
            {
                await writer.DisposeAsync();
            }
            Assert.Empty(errors);
        }
    }
}
