using System.Globalization;
using Microsoft.Playwright;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// The dashboard over the demo's root, as a user drives it: <c>tlc dashboard</c> as a process, Debian's Chromium through
/// Playwright. Every count the page shows is checked against the tables on disk. Screenshots go to
/// <c>TestResults/demo-dashboard</c> beside the test assembly.
/// </summary>
public sealed partial class DemoTests
{
    private static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "demo-dashboard")).FullName;

    [Fact(Timeout = 600_000)]
    public async Task Dashboard_OnTheDemosRoot_RunConfusionBrushBoxSelectionWeightsSampleAndBoxes_MatchTheTables()
    {
        Assert.True(demo.Result.ExitCode == 0, $"tlc demo failed:\n{demo.Result.Stdout}\n{demo.Result.Stderr}");
        var run = Path.Combine(demo.Root.Path, "projects", "demo", "runs", "fashion-mnist-cnn");
        var metricsUrl = Url.FromLocalPath(Directory.GetDirectories(Path.Combine(run, "metrics")).Order(StringComparer.Ordinal).Last());
        using var metrics = await Table.FromUrlAsync(metricsUrl, cancellationToken: TestContext.Current.CancellationToken);
        using var input = await Table.FromUrlAsync(new Url(metrics.Object.Properties![Tables.Storage.TableObject.ForeignTableUrlProperty]), cancellationToken: TestContext.Current.CancellationToken);
        var classes = ((ScalarSchema)input.Schema["label"]).ValueMap!.Names;
        var ids = metrics.ReadColumn("example_id").Select(v => (long)v!).ToArray();
        var labels = input.ReadColumn("label");
        var label = ids.Select(id => (int)labels[id]!).ToArray();
        var predicted = metrics.ReadColumn("predicted").Select(v => (int)v!).ToArray();
        var loss = metrics.ReadColumn("loss").Select(v => (float)v!).ToArray();
        var points = metrics.ReadColumn("embeddings_9_pca").Select(v => (float[])v!).ToArray();

        await using var dashboard = CliProcess.Start(["dashboard", "--root", demo.Root.Path, "--port", "0"]);
        var line = await dashboard.WaitForLineAsync("Dashboard at ", TimeSpan.FromMinutes(2));
        var url = line[(line.IndexOf("http", StringComparison.Ordinal))..].TrimEnd('/');
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1100 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);

        // The run: its status, parameters, charts and metrics tables.
        await page.GotoAsync(url + "/");
        await page.GetByTestId("runs").GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = "fashion-mnist-cnn", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("run-status")).ToContainTextAsync("log entries");
        await Assertions.Expect(page.GetByTestId("run-charts")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "1-run.png"), FullPage = true });

        // The metrics table beside its input rows: the confusion matrix's cells count the tables' pairs.
        await page.GotoAsync($"{url}/#/table?url={Uri.EscapeDataString(metricsUrl.Value)}&join=input");
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{metrics.RowCount:N0} of {metrics.RowCount:N0} rows");
        var pairs = Enumerable.Range(0, ids.Length).GroupBy(i => (label[i], predicted[i])).ToDictionary(g => g.Key, g => g.Count());
        var (actual, guess) = pairs.Where(p => p.Key.Item1 != p.Key.Item2).MaxBy(p => p.Value).Key;
        var cell = page.GetByTestId("confusion").Locator($"td[data-actual='{actual}'][data-predicted='{guess}']");
        await Assertions.Expect(cell).ToHaveTextAsync(pairs[(actual, guess)].ToString(CultureInfo.InvariantCulture));
        await Assertions.Expect(page.GetByTestId("confusion").Locator($"td[data-actual='{actual}'][data-predicted='{actual}']"))
            .ToHaveTextAsync(pairs.GetValueOrDefault((actual, actual)).ToString(CultureInfo.InvariantCulture));
        await page.GetByTestId("scatter").And(page.Locator("[data-drawn='true']")).WaitForAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "2-metrics.png"), FullPage = true });

        // Brush the loss histogram over its lower third.
        await page.GetByTestId("chart-column").SelectOptionAsync("loss");
        var histogram = page.GetByTestId("histogram");
        await Assertions.Expect(histogram).ToHaveAttributeAsync("data-total", metrics.RowCount.ToString(CultureInfo.InvariantCulture));
        var box = (await histogram.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + 2, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width * 0.33f, box.Y + box.Height / 2, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("() => location.hash.includes('loss%3C%3D')");
        var filters = await FiltersAsync(page);
        var low = Bound(filters, PredicateOperator.GreaterOrEqual);
        var high = Bound(filters, PredicateOperator.LessOrEqual);
        bool Brushed(int i) => loss[i] >= low && loss[i] <= high;
        var brushed = Enumerable.Range(0, ids.Length).Count(Brushed);
        Assert.InRange(brushed, 1, ids.Length - 1);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{brushed:N0} of {metrics.RowCount:N0} rows");

        // Select a cluster in the scatter with a box: the rows inside and in the brushed range.
        var scatter = page.GetByTestId("scatter");
        await Assertions.Expect(scatter).ToHaveAttributeAsync("data-drawn", "true");
        Assert.Equal(brushed.ToString(CultureInfo.InvariantCulture), await scatter.GetAttributeAsync("data-points"));
        box = (await page.GetByTestId("scatter-overlay").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width * 0.1f, box.Y + box.Height * 0.1f);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width * 0.55f, box.Y + box.Height * 0.6f, new MouseMoveOptions { Steps = 6 });
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("() => location.hash.includes('inside')");
        var polygon = (await FiltersAsync(page)).Single(f => f.Operator == PredicateOperator.Inside).Values!
            .Chunk(2).Select(p => (X: Convert.ToDouble(p[0], CultureInfo.InvariantCulture), Y: Convert.ToDouble(p[1], CultureInfo.InvariantCulture))).ToArray();
        var selected = Enumerable.Range(0, ids.Length).Where(i => Brushed(i) && PolygonTest.Inside(polygon, points[i][0], points[i][1])).ToList();
        Assert.NotEmpty(selected);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{selected.Count:N0} of {metrics.RowCount:N0} rows");
        await Assertions.Expect(page.GetByTestId("scatter")).ToHaveAttributeAsync("data-selected", selected.Count.ToString(CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "3-brush-and-lasso.png"), FullPage = true });

        // Set weight 0 on every row the selection keeps: a revision of the input table, checked with tlc table info and on disk.
        await page.GetByTestId("select-matching").ClickAsync();
        await Assertions.Expect(page.GetByTestId("selected")).ToHaveTextAsync($"all {selected.Count:N0} matching rows");
        var chosen = selected.Select(i => ids[i]).ToHashSet();
        await page.GetByTestId("edit-weight").FillAsync("0");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Set weight" }).ClickAsync();
        await page.WaitForFunctionAsync("() => location.hash.startsWith('#/table') && !location.hash.includes('join=input')"); // the page opens the new revision
        var hash = await page.EvaluateAsync<string>("() => location.hash");
        var revisionUrl = System.Web.HttpUtility.ParseQueryString(hash[(hash.IndexOf('?', StringComparison.Ordinal) + 1)..])["url"]!;
        var info = await CliProcess.RunAsync(["table", "info", revisionUrl, "--root", demo.Root.Path, "--json"]);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Contains($"{input.RowCount}", info.Stdout, StringComparison.Ordinal);
        using var revision = await Table.FromUrlAsync(new Url(revisionUrl), cancellationToken: TestContext.Current.CancellationToken);
        var weights = revision.ReadColumn("weight");
        var before = input.ReadColumn("weight");
        for (var row = 0; row < revision.RowCount; row++)
        {
            Assert.Equal(chosen.Contains(row) ? 0f : (float)before[row]!, (float)weights[row]!);
        }
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "4-revision.png"), FullPage = true });

        // A sample of the metrics table: its label and prediction as the tables hold them.
        var first = selected[0];
        await page.GotoAsync($"{url}/#/sample?url={Uri.EscapeDataString(metricsUrl.Value)}&join=input&row={first}");
        var sample = page.GetByTestId("sample");
        await Assertions.Expect(sample.Locator("dd[data-column='label']")).ToHaveTextAsync(classes[label[first]]);
        await Assertions.Expect(sample.Locator("dd[data-column='predicted']")).ToHaveTextAsync(classes[predicted[first]]);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "5-sample.png"), FullPage = true });

        // The COCO images with their boxes: one box per annotation, with its class name, as the table holds them.
        var cocoUrl = Url.FromLocalPath(Path.Combine(demo.Root.Path, "projects", "demo", "datasets", "labelme-coco", "tables", "instances"));
        using var coco = await Table.FromUrlAsync(cocoUrl, cancellationToken: TestContext.Current.CancellationToken);
        var boxes = (Tlc.DataTypes.BoundingBoxes2D)coco[0]["bbs"]!;
        var boxClasses = ((AnnotationSchema)coco.Schema["bbs"]).Classes!;
        await page.GotoAsync($"{url}/#/sample?url={Uri.EscapeDataString(cocoUrl.Value)}&row=0");
        var drawn = page.Locator("dd[data-column='image'] svg[data-testid='annotations'] g.box");
        await Assertions.Expect(drawn).ToHaveCountAsync(boxes.Boxes.Count);
        Assert.Equal(boxes.Boxes.Select(b => boxClasses[b.Label].InternalName), await drawn.EvaluateAllAsync<string[]>("gs => gs.map(g => g.dataset.label)"));
        await page.WaitForFunctionAsync("() => { const i = document.querySelector(\"dd[data-column='image'] img\"); return i && i.complete && i.naturalWidth > 0; }");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "6-coco-sample.png"), FullPage = true });

        Assert.Empty(errors);
        Assert.Equal(0, await dashboard.StopAsync(TimeSpan.FromSeconds(60)));
    }

    private static async Task<List<ColumnPredicate>> FiltersAsync(IPage page)
    {
        var hash = await page.EvaluateAsync<string>("() => location.hash");
        return [.. (System.Web.HttpUtility.ParseQueryString(hash[(hash.IndexOf('?', StringComparison.Ordinal) + 1)..]).GetValues("filter") ?? []).Select(ColumnPredicate.Parse)];
    }

    private static double Bound(List<ColumnPredicate> filters, PredicateOperator op) =>
        Convert.ToDouble(filters.Single(f => f.Column == "loss" && f.Operator == op).Value, CultureInfo.InvariantCulture);
}
