using System.Collections;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Microsoft.Playwright;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Api.Tests;

/// <summary>
/// Selecting rows by what they look like: a brush over a histogram, a box or lasso over the embedding scatter, and an edit
/// of every row a selection keeps. The embedding scatter: <c>GET /v1/columns</c> answers an Arrow IPC stream of the matching rows' points, and the page
/// draws them in a real browser (Debian's Chromium through Playwright) with WebGL and with its own pixel loop (what it
/// uses where WebGL runs on the CPU); a box and a lasso drawn with the mouse
/// select exactly the points inside their polygon — the grid's count and the scatter's highlight agree with the polygon
/// tested here. Screenshots go to <c>TestResults/dashboard</c>.
/// </summary>
public sealed class DashboardSelectionTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const int Rows = 3_000;

    private static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard")).FullName;

    /// <summary>Row i's point: three clusters by label along a spiral; every 100th row has none.</summary>
    private static float[]? Point(int i) => i % 100 == 99 ? null
        : [(float)(i % 3 * 4 + i / 1000.0 * Math.Cos(i / 40.0)), (float)(i % 3 * 2 + i / 1000.0 * Math.Sin(i / 40.0))];

    private async Task<Tables.Table> EmbeddingsAsync(string name) => await Tables.Table.FromDictAsync(new Dictionary<string, IEnumerable>
    {
        ["label"] = Enumerable.Range(0, Rows).Select(i => i % 3).ToArray(),
        ["loss"] = Enumerable.Range(0, Rows).Select(i => i / (float)Rows).ToArray(),
        ["emb_pca"] = Enumerable.Range(0, Rows).Select(Point).ToArray(),
        ["name"] = Enumerable.Range(0, Rows).Select(i => $"sample {i}").ToArray(),
    }, new ImportOptions
    {
        Project = "scatter", Dataset = "data", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings, IfExists = IfExists.Overwrite,
        Schema = new Dictionary<string, ColumnSchema> { ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]), ["emb_pca"] = new EmbeddingSchema(2) { Nullable = true } },
    });

    private static int CountInside(IReadOnlyList<(double X, double Y)> polygon) => Enumerable.Range(0, Rows).Count(i => Point(i) is { } p && PolygonTest.Inside(polygon, p[0], p[1]));
    [Fact]
    public async Task Columns_EmbeddingAndLabelFiltered_ArrowStreamOfTheMatchingRows()
    {
        using var table = await EmbeddingsAsync("columns");
        var url = Uri.EscapeDataString(table.Url.Value);

        using var response = await fixture.Http.GetAsync($"/v1/columns?table={url}&column=emb_pca&column=label&filter=label%3D%3Ddog", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(DashboardApi.ColumnsMediaType, response.Content.Headers.ContentType?.MediaType);
        using var reader = new ArrowStreamReader(await response.Content.ReadAsStreamAsync(TestContext.Current.CancellationToken));
        using var batch = await reader.ReadNextRecordBatchAsync(TestContext.Current.CancellationToken);
        Assert.Equal(Rows / 3, batch.Length);
        var rows = (Int32Array)batch.Column("row");
        var labels = (Int32Array)batch.Column("label");
        var points = (FixedSizeListArray)batch.Column("emb_pca");
        for (var i = 0; i < batch.Length; i++)
        {
            var row = rows.Values[i];
            Assert.Equal(3 * i + 1, row);
            Assert.Equal(1, labels.Values[i]);
            Assert.Equal(Point(row) is null, points.IsNull(i));
            if (Point(row) is { } p)
            {
                Assert.Equal(p, ((FloatArray)points.Values).Values.Slice(2 * i, 2).ToArray());
            }
        }
        Assert.Null(await reader.ReadNextRecordBatchAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("", HttpStatusCode.BadRequest, "column: name at least one column")]
    [InlineData("&column=name", HttpStatusCode.BadRequest, "'name'")]
    [InlineData("&column=nope", HttpStatusCode.NotFound, "no column 'nope'")]
    [InlineData("&column=emb_pca&filter=emb_pca%20inside%200%200,%201%201", HttpStatusCode.BadRequest, "at least 3")]
    public async Task Columns_BadRequest_4xxNamingIt(string query, HttpStatusCode status, string expected)
    {
        using var table = await EmbeddingsAsync("columns-bad");

        using var response = await fixture.Http.GetAsync($"/v1/columns?table={Uri.EscapeDataString(table.Url.Value)}{query}", TestContext.Current.CancellationToken);

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.Equal(status, response.StatusCode);
        Assert.Contains(expected, body["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Edits_MatchOfALassoSelection_EveryRowInsideGetsTheWeight_OthersKeepTheirs()
    {
        using var table = await EmbeddingsAsync("edit-selection");
        (double X, double Y)[] lasso = [(-1, -1), (6, -0.5), (5, 3), (0, 4)];
        var filter = $"emb_pca inside {string.Join(", ", lasso.Select(p => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{p.X} {p.Y}")))}";

        using var response = await fixture.Http.PostAsJsonAsync("/v1/edits", new
        {
            table = table.Url.Value, weight = 0, match = new { table = table.Url.Value, filter = new[] { filter, "label!=bird" } },
        }, TestContext.Current.CancellationToken);

        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        using var revision = Tables.Table.Open(new Url(body["url"]!.GetValue<string>()), fixture.Context.Adapters);
        var weights = revision.ReadColumn("weight");
        var expected = Enumerable.Range(0, Rows).Select(i => i % 3 != 2 && Point(i) is { } p && PolygonTest.Inside(lasso, p[0], p[1]) ? 0f : 1f).ToArray();
        Assert.InRange(expected.Count(w => w == 0), 50, Rows - 50);
        Assert.Equal(expected, weights.Select(w => (float)w!));
    }

    [Fact]
    public async Task Edits_MatchOfAnotherTablesRows_400NamingBoth()
    {
        using var table = await EmbeddingsAsync("edit-other");
        using var other = await EmbeddingsAsync("edit-other-2");

        using var response = await fixture.Http.PostAsJsonAsync("/v1/edits", new
        {
            table = table.Url.Value, weight = 0, match = new { table = other.Url.Value, filter = new[] { "label==dog" } },
        }, TestContext.Current.CancellationToken);

        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["error"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(other.Url.Value, error, StringComparison.Ordinal);
        Assert.Contains(table.Url.Value, error, StringComparison.Ordinal);
    }

    [Theory(Timeout = 180_000)]
    [InlineData("webgl")]
    [InlineData("cpu")]
    public async Task Scatter_BoxThenLasso_SelectsThePointsInsideAndFiltersTheGrid(string renderer)
    {
        using var table = await EmbeddingsAsync($"points-{renderer}");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1100 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.AddInitScriptAsync($"localStorage.setItem('tlc.scatter.renderer', '{renderer}')");

        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}");
        var scatter = page.GetByTestId("scatter");
        await Assertions.Expect(scatter).ToHaveAttributeAsync("data-drawn", "true");
        Assert.Equal(renderer, await scatter.GetAttributeAsync("data-renderer"));
        var withPoints = Rows - Rows / 100;
        Assert.Equal(withPoints.ToString(System.Globalization.CultureInfo.InvariantCulture), await scatter.GetAttributeAsync("data-points"));
        await Assertions.Expect(page.GetByTestId("scatter-status")).ToHaveTextAsync($"{withPoints:N0} points");
        // WebGL drew: the canvas holds pixels of each class's colour.
        var (colours, greys) = await DrawnAsync(page);
        Assert.True(colours >= 3, $"{colours} colours drawn");
        Assert.Equal(0, greys);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"scatter-{renderer}-1.png"), FullPage = true });

        // A box: the grid, the charts and the highlight agree with the polygon the page sent.
        var box = (await page.GetByTestId("scatter-overlay").BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width * 0.15f, box.Y + box.Height * 0.2f);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width * 0.35f, box.Y + box.Height * 0.5f, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.MoveAsync(box.X + box.Width * 0.55f, box.Y + box.Height * 0.85f, new MouseMoveOptions { Steps = 5 });
        await page.Mouse.UpAsync();
        var selected = await SelectionAsync(page);
        Assert.Equal(4, selected.Values!.Count / 2);
        var inBox = CountInside(Vertices(selected));
        Assert.InRange(inBox, 50, withPoints - 50);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{inBox:N0} of {Rows:N0} rows");
        await Assertions.Expect(page.GetByTestId("scatter")).ToHaveAttributeAsync("data-selected", inBox.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.GetByTestId("scatter-status")).ToHaveTextAsync($"{withPoints:N0} points · {inBox:N0} selected");
        await Assertions.Expect(page.GetByTestId("histogram")).ToHaveAttributeAsync("data-total", inBox.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (colours, greys) = await DrawnAsync(page);
        Assert.True(greys > 100, $"{greys} grey pixels: the points outside the box are drawn dimmed");
        Assert.True(colours >= 2, $"{colours} colours drawn");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"scatter-{renderer}-2-box.png"), FullPage = true });

        // A lasso (a concave path) replaces the box.
        await page.Locator("button[data-mode='lasso']").ClickAsync();
        box = (await page.GetByTestId("scatter-overlay").BoundingBoxAsync())!;
        (float X, float Y)[] path = [(0.1f, 0.1f), (0.9f, 0.1f), (0.9f, 0.9f), (0.5f, 0.3f), (0.1f, 0.9f)];
        await page.Mouse.MoveAsync(box.X + box.Width * path[0].X, box.Y + box.Height * path[0].Y);
        await page.Mouse.DownAsync();
        foreach (var (x, y) in path.Skip(1))
        {
            await page.Mouse.MoveAsync(box.X + box.Width * x, box.Y + box.Height * y, new MouseMoveOptions { Steps = 8 });
        }
        await page.Mouse.UpAsync();
        var lasso = await SelectionAsync(page, previous: selected);
        Assert.True(lasso.Values!.Count / 2 > 10, $"{lasso.Values.Count / 2} lasso vertices");
        var inLasso = CountInside(Vertices(lasso));
        Assert.InRange(inLasso, 50, withPoints - 50);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{inLasso:N0} of {Rows:N0} rows");
        await Assertions.Expect(page.GetByTestId("scatter")).ToHaveAttributeAsync("data-selected", inLasso.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, $"scatter-{renderer}-3-lasso.png"), FullPage = true });

        // Clearing the selection shows every row again.
        await page.GetByTestId("scatter-clear").ClickAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{Rows:N0} of {Rows:N0} rows");
        Assert.Empty(errors);
    }

    [Fact(Timeout = 120_000)]
    public async Task Histogram_Brush_FiltersTheGridToTheRange_ClickClears()
    {
        using var table = await EmbeddingsAsync("brush");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}");
        await page.GetByTestId("chart-column").SelectOptionAsync("loss");
        var histogram = page.GetByTestId("histogram");
        await Assertions.Expect(histogram).ToHaveAttributeAsync("data-total", Rows.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var box = (await histogram.BoundingBoxAsync())!;
        await page.Mouse.MoveAsync(box.X + box.Width * 0.25f, box.Y + box.Height / 2);
        await page.Mouse.DownAsync();
        await page.Mouse.MoveAsync(box.X + box.Width * 0.6f, box.Y + box.Height / 2, new MouseMoveOptions { Steps = 6 });
        await page.Mouse.UpAsync();

        // Two filters bound the range; the grid keeps exactly those rows, the histogram still counts every row (the range shaded).
        await page.WaitForFunctionAsync("() => location.hash.includes('loss%3E%3D')");
        var hash = await page.EvaluateAsync<string>("() => location.hash");
        var filters = System.Web.HttpUtility.ParseQueryString(hash[(hash.IndexOf('?', StringComparison.Ordinal) + 1)..]).GetValues("filter")!.Select(ColumnPredicate.Parse).ToList();
        var low = Convert.ToDouble(filters.Single(f => f.Operator == PredicateOperator.GreaterOrEqual).Value, System.Globalization.CultureInfo.InvariantCulture);
        var high = Convert.ToDouble(filters.Single(f => f.Operator == PredicateOperator.LessOrEqual).Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(low, 0.2, 0.3);
        Assert.InRange(high, 0.55, 0.65);
        var kept = Enumerable.Range(0, Rows).Count(i => i / (float)Rows >= low && i / (float)Rows <= high);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{kept:N0} of {Rows:N0} rows");
        await page.GetByTestId("chart-column").SelectOptionAsync("loss");
        await Assertions.Expect(page.GetByTestId("histogram")).ToHaveAttributeAsync("data-total", Rows.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, "brush.png") });

        // A click without a drag clears the brush.
        box = (await page.GetByTestId("histogram").BoundingBoxAsync())!;
        await page.Mouse.ClickAsync(box.X + box.Width / 2, box.Y + box.Height / 2);
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{Rows:N0} of {Rows:N0} rows");
        Assert.Empty(errors);
    }

    /// <summary>How many distinct colours (coarsely) the scatter's canvas holds, and how many of its pixels are the dimmed grey of unselected points.</summary>
    private static async Task<(int Colours, int Greys)> DrawnAsync(IPage page)
    {
        var counts = await page.GetByTestId("scatter").EvaluateAsync<int[]>("""
            c => { const g = document.createElement('canvas'); g.width = c.width; g.height = c.height; const x = g.getContext('2d'); x.drawImage(c, 0, 0);
                   const d = x.getImageData(0, 0, c.width, c.height).data; const seen = new Set(); let greys = 0;
                   for (let i = 0; i < d.length; i += 4) {
                     const [r, gr, b] = [d[i], d[i + 1], d[i + 2]];
                     if (r > 195 && r < 240 && Math.abs(r - gr) < 8 && b >= r && b - r < 16) greys++;
                     else if (r + gr + b < 600 && Math.max(r, gr, b) - Math.min(r, gr, b) > 60) seen.add(`${r >> 5},${gr >> 5},${b >> 5}`);
                   }
                   return [seen.size, greys]; }
            """);
        return (counts[0], counts[1]);
    }

    /// <summary>The scatter's selection filter in the page's address, once it differs from <paramref name="previous"/>.</summary>
    private static async Task<ColumnPredicate> SelectionAsync(IPage page, ColumnPredicate? previous = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var hash = await page.EvaluateAsync<string>("() => location.hash");
            var query = System.Web.HttpUtility.ParseQueryString(hash[(hash.IndexOf('?', StringComparison.Ordinal) + 1)..]);
            var filter = query.GetValues("filter")?.Select(ColumnPredicate.Parse).SingleOrDefault(f => f.Operator == PredicateOperator.Inside);
            if (filter is not null && (previous is null || !filter.Values!.SequenceEqual(previous.Values!)))
            {
                Assert.Equal("emb_pca", filter.Column);
                return filter;
            }
            Assert.True(attempt < 100, $"No new selection filter in {hash}");
            await Task.Delay(100);
        }
    }

    private static (double X, double Y)[] Vertices(ColumnPredicate inside) =>
        [.. inside.Values!.Chunk(2).Select(p => (Convert.ToDouble(p[0], System.Globalization.CultureInfo.InvariantCulture), Convert.ToDouble(p[1], System.Globalization.CultureInfo.InvariantCulture)))];
}
