using System.Diagnostics;
using System.Globalization;
using Microsoft.Playwright;
using Tlc.Api.Hosting;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// The dashboard's embedding scatter in a real browser (Debian's Chromium, headless, WebGL on the CPU): a 10^6-row metrics
/// table's 2-D embedding, coloured by its input's label, from opening the page to the drawn frame; then a lasso over the
/// points, from releasing the mouse to the highlighted frame. Baselines in the same run: fetching the same Arrow stream
/// with a plain HTTP client (the draw) and drawing one frame of the points (the selection).
/// </summary>
internal static class ScatterBenchmark
{
    private const int Rows = DashboardBenchmark.Rows; // the input and metrics tables are DashboardBenchmark's
    private const int Rounds = 5;

    public static async Task<BenchResult[]> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "scatter");
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        using var input = await DashboardBenchmark.InputAsync(root, settings);
        await using var run = await Runs.InitAsync(context, "bench", "scatter", ifExists: RunIfExists.Overwrite);
        using var metrics = await DashboardBenchmark.MetricsAsync(run, input, "emb_pca", new EmbeddingSchema(2), (at, n) => Enumerable.Range(at, n).Select(Point).ToArray());
        await using var api = await TrainingApiHost.StartAsync(context, new TrainingApiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromMinutes(5) };
        var table = Uri.EscapeDataString(metrics.Url.Value);
        var columns = $"/v1/columns?table={table}&join=input&column=emb_pca&column=label";

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium" : throw new InvalidOperationException("The scatter benchmark needs Chromium: apt-get install chromium."),
            Headless = true, Args = ["--no-sandbox", "--enable-unsafe-swiftshader", "--use-angle=swiftshader"],
        });

        async Task<double> FetchAsync()
        {
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(columns);
            var bytes = await response.Content.ReadAsByteArrayAsync();
            return response.IsSuccessStatusCode ? watch.Elapsed.TotalMilliseconds : throw new InvalidOperationException($"{columns}: {(int)response.StatusCode}");
        }

        async Task<(double Drawn, double Frame, double Select, double Count, double Grid)> PageAsync()
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
            try
            {
                await page.GotoAsync($"{api.Url}/#/table?url={table}&join=input");
                var scatter = page.GetByTestId("scatter");
                await Assertions.Expect(scatter).ToHaveAttributeAsync("data-drawn", "true", new LocatorAssertionsToHaveAttributeOptions { Timeout = 120_000 });
                if (await scatter.GetAttributeAsync("data-points") != Rows.ToString(CultureInfo.InvariantCulture))
                {
                    throw new InvalidOperationException($"The scatter drew {await scatter.GetAttributeAsync("data-points")} points, not {Rows}.");
                }
                var drawn = double.Parse((await scatter.GetAttributeAsync("data-drawn-at"))!, CultureInfo.InvariantCulture);
                var frame = double.Parse((await scatter.GetAttributeAsync("data-render-ms"))!, CultureInfo.InvariantCulture);
                await Assertions.Expect(page.GetByTestId("matched")).ToHaveTextAsync($"{Rows:N0} of {Rows:N0} rows", new LocatorAssertionsToHaveTextOptions { Timeout = 120_000 });

                // A lasso of 24 vertices around part of the rings.
                await page.Locator("button[data-mode='lasso']").ClickAsync();
                var box = (await page.GetByTestId("scatter-overlay").BoundingBoxAsync())!;
                await page.Mouse.MoveAsync(box.X + box.Width * 0.5f, box.Y + box.Height * 0.15f);
                await page.Mouse.DownAsync();
                for (var k = 1; k <= 24; k++)
                {
                    var angle = 2 * Math.PI * k / 24;
                    var radius = k % 2 == 0 ? 0.35 : 0.2;
                    await page.Mouse.MoveAsync(box.X + box.Width * (float)(0.5 + radius * Math.Sin(angle)), box.Y + box.Height * (float)(0.5 - radius * Math.Cos(angle)));
                }
                var watch = Stopwatch.StartNew();
                await page.Mouse.UpAsync();
                await Assertions.Expect(page.GetByTestId("matched")).Not.ToHaveTextAsync($"{Rows:N0} of {Rows:N0} rows", new LocatorAssertionsToHaveTextOptions { Timeout = 120_000 });
                var grid = watch.Elapsed.TotalMilliseconds;
                await Assertions.Expect(scatter).ToHaveAttributeAsync("data-select-ms", new System.Text.RegularExpressions.Regex("^[0-9]+$"));
                var select = double.Parse((await scatter.GetAttributeAsync("data-select-ms"))!, CultureInfo.InvariantCulture);
                var count = double.Parse((await scatter.GetAttributeAsync("data-count-ms"))!, CultureInfo.InvariantCulture);
                return (drawn, frame, select, count, grid);
            }
            finally
            {
                await page.CloseAsync();
            }
        }

        // Warm-up: the API scans the columns once (it keeps them), the browser compiles the page's script.
        await FetchAsync();
        await PageAsync();
        var pages = new List<(double Drawn, double Frame, double Select, double Count, double Grid)>();
        var fetches = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            fetches.Add(await FetchAsync());
            pages.Add(await PageAsync());
        }
        static string Spread(IEnumerable<double> values)
        {
            var sorted = values.Order().ToArray();
            return string.Create(CultureInfo.InvariantCulture, $"min {sorted[0]:F0}, median {sorted[sorted.Length / 2]:F0}, max {sorted[^1]:F0} ms");
        }
        static double Median(IEnumerable<double> values) => values.Order().ElementAt(values.Count() / 2);
        var drawnMedian = Median(pages.Select(p => p.Drawn));
        var fetchMedian = Median(fetches);
        var selectMedian = Median(pages.Select(p => p.Select));
        var frameMedian = Median(pages.Select(p => p.Frame));
        var setup = $"{Rows:N0}-row metrics table joined to its input, 2-D embedding coloured by the input's label, Chromium headless with WebGL on the CPU (SwiftShader), API on loopback; {Rounds} rounds after a warm-up, each in a fresh page";
        return
        [
            new BenchResult("Dashboard scatter of 10^6 points: page opened → drawn", $"{drawnMedian:F0} ms", $"fetching its Arrow stream {fetchMedian:F0} ms",
                drawnMedian / fetchMedian, "≤ 2,000 ms", drawnMedian <= 2000,
                $"{setup}; from navigation to the drawn frame: {Spread(pages.Select(p => p.Drawn))}; GET /v1/columns by HttpClient: {Spread(fetches)}; ratio = page ÷ fetch (lower is better)"),
            new BenchResult("Dashboard scatter of 10^6 points: lasso → highlighted", $"{selectMedian:F0} ms", $"one frame {frameMedian:F0} ms",
                selectMedian / Math.Max(1, frameMedian), "≤ 100 ms", selectMedian <= 100,
                $"{setup}; a 24-vertex lasso, from releasing the mouse to the frame with the points inside highlighted (composed and drawn): {Spread(pages.Select(p => p.Select))}; then counting the points inside in the page: {Spread(pages.Select(p => p.Count))}; drawing one frame of every point: {Spread(pages.Select(p => p.Frame))}; until the grid shows the selected rows (the polygon tested server-side over the 10^6 joined rows, a page, a histogram and the confusion matrix): {Spread(pages.Select(p => p.Grid))}; ratio = selection ÷ frame (lower is better)"),
        ];
    }

    /// <summary>Row i's point: ten Gaussian-like blobs on a ring, one per class (i % 10), from a hash of i.</summary>
    private static float[] Point(int i)
    {
        var k = i % 10;
        var h1 = (uint)(i * 2654435761u);
        var h2 = (uint)((i + 7) * 2246822519u);
        var u = (h1 & 0xFFFF) / 65536.0 + ((h1 >> 16) & 0xFFFF) / 65536.0 - 1;
        var v = (h2 & 0xFFFF) / 65536.0 + ((h2 >> 16) & 0xFFFF) / 65536.0 - 1;
        return [(float)(5 * Math.Cos(2 * Math.PI * k / 10) + 1.5 * u), (float)(5 * Math.Sin(2 * Math.PI * k / 10) + 1.5 * v)];
    }
}
