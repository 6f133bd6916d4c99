using System.Collections;
using System.Diagnostics;
using System.Globalization;
using Apache.Arrow;
using Tlc.Api.Hosting;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// The dashboard's grid query: filter + sort + one page over a 10^6-row metrics table joined to its input, through the
/// HTTP API as the page asks it; p95 latency against one full scan of the metrics table's record batches in the same run.
/// </summary>
internal static class DashboardBenchmark
{
    internal const int Rows = 1_000_000;
    private const int Queries = 20;

    public static async Task<BenchResult> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "dashboard");
        var settings = new TlcOptions { Root = root };
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        using var input = await InputAsync(root, settings);
        await using var run = await Runs.InitAsync(context, "bench", "dashboard", ifExists: RunIfExists.Overwrite);
        using var metrics = await MetricsAsync(run, input, "predicted", new CategoricalLabelSchema(Classes), (at, n) => Enumerable.Range(at, n).Select(i => (int)((i * 31L) % 10)).ToArray());
        await using var api = await TrainingApiHost.StartAsync(context, new TrainingApiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromMinutes(5) };
        var table = Uri.EscapeDataString(metrics.Url.Value);

        async Task<double> QueryAsync(int i)
        {
            var path = $"/v1/rows?table={table}&join=input&filter={Uri.EscapeDataString($"label=={Classes[i % 10]}")}&filter={Uri.EscapeDataString("loss>0.5")}" +
                $"&sort=loss&desc={(i % 2 == 0 ? "true" : "false")}&offset={i * 50}&limit=50";
            var watch = Stopwatch.StartNew();
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            watch.Stop();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"{path}: {(int)response.StatusCode} {body}");
            }
            return watch.Elapsed.TotalMilliseconds;
        }

        // The baseline: one scan of the metrics table from its files (opened afresh, so no batch comes from a cache).
        double Scan()
        {
            var watch = Stopwatch.StartNew();
            using var fresh = Table.Open(metrics.Url, connection.Adapters);
            long rows = 0;
            foreach (var batch in fresh.ScanBatches())
            {
                rows += batch.Length;
            }
            return rows == Rows ? watch.Elapsed.TotalMilliseconds : throw new InvalidOperationException($"{rows} rows scanned.");
        }

        await QueryAsync(0);
        Scan();
        var latencies = new List<double>();
        var scans = new List<double>();
        for (var i = 0; i < Queries; i++)
        {
            latencies.Add(await QueryAsync(i));
            if (i % 4 == 0)
            {
                scans.Add(Scan());
            }
        }
        latencies.Sort();
        var p95 = latencies[(int)Math.Ceiling(0.95 * latencies.Count) - 1];
        var scan = scans.Order().ElementAt(scans.Count / 2);
        return new BenchResult("Dashboard grid query, 10^6-row metrics table joined to its input (HTTP)", $"p95 {p95:F0} ms",
            $"one scan of the metrics table {scan:F0} ms", p95 / scan, "p95 ≤ 200 ms", p95 <= 200,
            string.Create(CultureInfo.InvariantCulture, $"GET /v1/rows with join=input, filter label==<class> and loss>0.5, sort by loss, a 50-row page; {Queries} queries after a warm-up (min {latencies[0]:F0}, median {latencies[latencies.Count / 2]:F0}, max {latencies[^1]:F0} ms); embedded silo, API on loopback; ratio = p95 ÷ scan (lower is better)"));
    }

    /// <summary>
    /// The run's 10^6-row "eval" metrics table over <paramref name="input"/>: example ids 0..n−1, a loss (spread over 0..1)
    /// and <paramref name="column"/> of <paramref name="schema"/>, whose values of rows at..at+n−1 <paramref name="values"/> makes.
    /// </summary>
    internal static async Task<Table> MetricsAsync(Run run, Table input, string column, ColumnSchema schema, Func<int, int, IList> values)
    {
        await using var writer = await run.CreateMetricsWriterAsync(input, new TableSchema { ["loss"] = new Float32Schema(), [column] = schema },
            "eval", null, new MetricsWriterOptions { RequireFullCoverage = true });
        for (var at = 0; at < Rows; at += 65_536)
        {
            var n = Math.Min(65_536, Rows - at);
            await writer.AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = Enumerable.Range(at, n).Select(i => (long)i).ToArray(),
                ["loss"] = Enumerable.Range(at, n).Select(i => (float)((i * 7919L) % 10_000) / 10_000f).ToArray(),
                [column] = values(at, n),
            });
        }
        return await writer.PublishAsync();
    }

    internal static readonly string[] Classes = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"];

    /// <summary>A 10^6-row input table of labels (class i % 10), also the scatter benchmark's.</summary>
    internal static async Task<Table> InputAsync(string root, TlcOptions settings)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["label"] = new CategoricalLabelSchema(Classes) },
            Root = Url.FromLocalPath(root), Project = "bench", Dataset = "dashboard", Table = "input", IfExists = IfExists.Overwrite, Settings = settings,
            AddWeightColumn = false,
        });
        var schema = new Apache.Arrow.Schema([new Field("label", Apache.Arrow.Types.Int32Type.Default, false)], null);
        for (var at = 0; at < Rows; at += 1 << 18)
        {
            var n = Math.Min(1 << 18, Rows - at);
            var labels = new int[n];
            for (var i = 0; i < n; i++)
            {
                labels[i] = (at + i) % 10;
            }
            writer.AddRecordBatch(new RecordBatch(schema, [new Int32Array.Builder().Append(labels.AsSpan()).Build()], n));
        }
        return await writer.FinalizeAsync();
    }
}
