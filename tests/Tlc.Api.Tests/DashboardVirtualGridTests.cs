using System.Globalization;
using Apache.Arrow;
using Microsoft.Playwright;
using Tlc.Tables;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Api.Tests;

/// <summary>
/// The dashboard's virtual grid over a table of 10^6 rows in a real browser: it scrolls from the first row to the last,
/// shows the right rows with the right values wherever it stops, keeps the DOM to a screenful of rows, keeps the order of
/// a sort and the checked rows as it scrolls, and a filter starts it again from the top. How long a jump takes to show
/// its rows is written to the test output.
/// </summary>
public sealed class DashboardVirtualGridTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private const int Rows = 1_000_000;

    /// <summary>A permutation of the row numbers (7919 is prime to 10^6): every score once, so a sort has one order.</summary>
    private static int Score(long row) => (int)(row * 7919 % Rows);

    private static async Task<Table> MillionAsync(ApiFixture fixture)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Root = fixture.Root.Url, Settings = fixture.Root.Settings, Project = "browser", Dataset = "million", Table = "rows",
            IfExists = IfExists.Overwrite, AddWeightColumn = false,
            Schema = new Tlc.Schemas.TableSchema { ["id"] = new Tlc.Schemas.Int64Schema(), ["score"] = new Tlc.Schemas.Int32Schema() },
        });
        var schema = new Schema([new Field("id", Apache.Arrow.Types.Int64Type.Default, false), new Field("score", Apache.Arrow.Types.Int32Type.Default, false)], null);
        for (var at = 0; at < Rows; at += 1 << 18)
        {
            var n = Math.Min(1 << 18, Rows - at);
            var ids = new long[n];
            var scores = new int[n];
            for (var i = 0; i < n; i++)
            {
                ids[i] = at + i;
                scores[i] = Score(at + i);
            }
            writer.AddRecordBatch(new RecordBatch(schema, [new Int64Array.Builder().Append(ids.AsSpan()).Build(), new Int32Array.Builder().Append(scores.AsSpan()).Build()], n));
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>The rows in the DOM: <c>data-row</c>, <c>id</c> and <c>score</c> of each, in order.</summary>
    private static async Task<long[][]> ShownAsync(IPage page) =>
        await page.GetByTestId("grid").Locator("tr[data-row]").EvaluateAllAsync<long[][]>(
            "rows => rows.map(r => [Number(r.dataset.row), Number(r.querySelector('td[data-column=id]').textContent), Number(r.querySelector('td[data-column=score]').textContent)])");

    /// <summary>Checks the rows shown are positions <paramref name="top"/>, <paramref name="top"/>+1, … of the query, by <paramref name="rowAt"/>, with their own values.</summary>
    private static void AssertRows(long[][] shown, long top, Func<long, long> rowAt)
    {
        Assert.InRange(shown.Length, 10, 149);
        for (var i = 0; i < shown.Length; i++)
        {
            Assert.Equal(rowAt(top + i), shown[i][0]);
            Assert.Equal(shown[i][0], shown[i][1]);
            Assert.Equal(Score(shown[i][0]), shown[i][2]);
        }
    }

    [Fact(Timeout = 300_000)]
    public async Task Dashboard_MillionRowGrid_ScrollsEndToEnd_RightRowsBoundedDomSortSelectionFilter()
    {
        var output = TestContext.Current.TestOutputHelper!;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var table = await MillionAsync(fixture);
        output.WriteLine($"built {Rows:N0} rows in {watch.ElapsedMilliseconds} ms");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = DashboardBrowser.Chromium, Headless = true, Args = DashboardBrowser.Args });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 }, Locale = "en-US" });
        var errors = new List<string>();
        page.PageError += (_, error) => errors.Add(error);
        var grid = page.GetByTestId("grid");

        // The top: rows 0, 1, … in table order.
        await page.GotoAsync($"{fixture.Host.Url}/#/table?url={Uri.EscapeDataString(table.Url.Value)}");
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("1,000,000 of 1,000,000 rows");
        AssertRows(await ShownAsync(page), 0, p => p);

        // The middle and the very end: the right rows, row 999,999 last; a screenful of rows in the DOM.
        var middle = await DashboardGrid.ScrollAsync(page, "middle");
        output.WriteLine($"jump to the middle (row {middle.Top:N0}): rows shown after {middle.Milliseconds:F0} ms");
        Assert.InRange(middle.Top, (Rows / 2) - 100, (Rows / 2) + 100);
        AssertRows(await ShownAsync(page), middle.Top, p => p);
        var end = await DashboardGrid.ScrollAsync(page, "end");
        output.WriteLine($"jump to the end (row {end.Top:N0}): rows shown after {end.Milliseconds:F0} ms");
        var last = await ShownAsync(page);
        AssertRows(last, end.Top, p => p);
        Assert.Equal(Rows - 1, last[^1][0]);
        var near = await DashboardGrid.ScrollAsync(page, "12345");
        AssertRows(await ShownAsync(page), near.Top, p => p);

        // Selected rows stay checked when scrolled away and back.
        await DashboardGrid.ScrollAsync(page, "0");
        await page.Locator("input[data-select='2']").CheckAsync();
        await page.Locator("input[data-select='5']").CheckAsync();
        await Assertions.Expect(page.GetByTestId("selected")).ToHaveTextAsync("2 selected");
        await DashboardGrid.ScrollAsync(page, "end");
        Assert.Equal(0, await page.Locator("input[data-select='2']").CountAsync());
        await DashboardGrid.ScrollAsync(page, "0");
        await Assertions.Expect(page.Locator("input[data-select='2']")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("input[data-select='5']")).ToBeCheckedAsync();
        await Assertions.Expect(page.Locator("input[data-select='3']")).Not.ToBeCheckedAsync();
        await Assertions.Expect(page.GetByTestId("selected")).ToHaveTextAsync("2 selected");

        // Sorted by score, descending: position p holds the row scored 999,999 − p, at the top, the middle and the end.
        var byScore = new long[Rows];
        for (var r = 0; r < Rows; r++)
        {
            byScore[Rows - 1 - Score(r)] = r;
        }
        await grid.Locator("th[data-column='score']").ClickAsync();
        await Assertions.Expect(grid.Locator("th[data-column='score']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("sorted"));
        await grid.Locator("th[data-column='score']").ClickAsync();
        await Assertions.Expect(grid.Locator("th[data-column='score']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("desc"));
        await Assertions.Expect(grid.Locator("tr[data-row]").First).ToHaveAttributeAsync("data-row", byScore[0].ToString(CultureInfo.InvariantCulture));
        AssertRows(await ShownAsync(page), 0, p => byScore[p]);
        var sortedMiddle = await DashboardGrid.ScrollAsync(page, "middle");
        output.WriteLine($"sorted, jump to the middle (position {sortedMiddle.Top:N0}): rows shown after {sortedMiddle.Milliseconds:F0} ms");
        AssertRows(await ShownAsync(page), sortedMiddle.Top, p => byScore[p]);
        var sortedEnd = await DashboardGrid.ScrollAsync(page, "end");
        var sortedLast = await ShownAsync(page);
        AssertRows(sortedLast, sortedEnd.Top, p => byScore[p]);
        Assert.Equal(0, sortedLast[^1][2]);

        // A filter starts again from the top, still sorted.
        await page.GetByTestId("filter").FillAsync("score<1000");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Filter" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync("1,000 of 1,000,000 rows");
        Assert.Equal(0, await page.GetByTestId("grid-scroller").EvaluateAsync<double>("s => s.scrollTop"));
        var filtered = await ShownAsync(page);
        AssertRows(filtered, 0, p => byScore[Rows - 1000 + p]);
        Assert.Equal(999, filtered[0][2]);
        var all = await DashboardGrid.RowsAsync(page, "score");
        Assert.Equal(Enumerable.Range(0, 1000).Select(p => (999 - p).ToString(CultureInfo.InvariantCulture)), all.Select(r => r[1]));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "dashboard", "12-million.png") });
        Assert.Empty(errors);
    }
}
