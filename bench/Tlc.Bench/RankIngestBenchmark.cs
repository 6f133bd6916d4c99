using System.Buffers.Binary;
using System.Collections;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Api.Hosting;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Configuration;
using Table = Tlc.Tables.Table;

namespace Tlc.Bench;

/// <summary>
/// Per-sample rows a training rank writes per second (example_id + a float32 loss, batches of 65,536): through the C# SDK
/// (a rank's writer on the embedded silo, from the first batch to the closed share) and through the training API over
/// HTTP (binary columns as numpy writes them, from the first request to the closed share), against writing the same rows
/// into a local table with no cluster (TableWriter) in the same run.
/// </summary>
internal static class RankIngestBenchmark
{
    private const long Rows = 2_000_000;
    private const int Batch = 65_536;
    private const int Rounds = 3;

    public static async Task<BenchResult[]> RunAsync()
    {
        var root = Path.Combine(BenchContext.Scratch, "ingest");
        var settings = new TlcOptions { Root = root };
        using var foreign = await TableBenchmarks.WriteTableAsync(root, "ingest-input", Rows);
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        var context = connection.Context;
        await using var run = await Runs.InitAsync(context, "bench", "ingest", ifExists: RunIfExists.Overwrite);
        await using var api = await TrainingApiHost.StartAsync(context, new TrainingApiOptions { Port = 0 });
        using var http = new HttpClient { BaseAddress = new Uri(api.Url), Timeout = TimeSpan.FromMinutes(5) };
        var ids = new long[Rows];
        var losses = new float[Rows];
        for (var i = 0; i < Rows; i++)
        {
            ids[i] = i;
            losses[i] = i * 0.001f;
        }
        var bodies = Enumerable.Range(0, (int)((Rows + Batch - 1) / Batch)).Select(b => Body(ids, losses, b * Batch, (int)Math.Min(Batch, Rows - (b * Batch)))).ToArray();
        var schema = new TableSchema { ["loss"] = new Float32Schema() };
        var epoch = 0;

        async Task<double> LocalAsync()
        {
            var watch = Stopwatch.StartNew();
            await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
            {
                Schema = new TableSchema { ["example_id"] = new Int64Schema(), ["loss"] = new Float32Schema() },
                Root = Url.FromLocalPath(root), Project = "bench", Dataset = "ingest", Table = "local", IfExists = IfExists.Overwrite, Settings = settings,
                AddWeightColumn = false,
            });
            for (long at = 0; at < Rows; at += Batch)
            {
                var n = (int)Math.Min(Batch, Rows - at);
                writer.AddBatch(new Dictionary<string, IEnumerable> { ["example_id"] = ids.AsSpan((int)at, n).ToArray(), ["loss"] = losses.AsSpan((int)at, n).ToArray() });
            }
            using var table = await writer.FinalizeAsync();
            return Rows / watch.Elapsed.TotalSeconds;
        }

        async Task<double> SdkAsync()
        {
            var watch = Stopwatch.StartNew();
            var rank = new RankInfo(0, 1, 0, "bench-ingest", Guid.NewGuid().ToString("N")[..12]);
            await using (var writer = await run.OpenRankWriterAsync(foreign, schema, "sdk", epoch++, rank))
            {
                for (long at = 0; at < Rows; at += Batch)
                {
                    var n = (int)Math.Min(Batch, Rows - at);
                    await writer.AddBatchAsync(new Dictionary<string, IList> { ["example_id"] = ids.AsSpan((int)at, n).ToArray(), ["loss"] = losses.AsSpan((int)at, n).ToArray() });
                }
            }
            return Rows / watch.Elapsed.TotalSeconds;
        }

        async Task<double> HttpAsync()
        {
            var watch = Stopwatch.StartNew();
            using var opened = await http.PostAsJsonAsync("/v1/ranks", new Dictionary<string, object>
            {
                ["run"] = run.Key, ["table"] = foreign.Url.Value, ["stream"] = "http", ["epoch"] = epoch++, ["columns"] = new Dictionary<string, string> { ["loss"] = "float32" },
                ["rank"] = 0, ["world_size"] = 1, ["launch_id"] = "bench-ingest", ["attempt"] = Guid.NewGuid().ToString("N")[..12],
            });
            var writer = (string)JsonNode.Parse(await opened.EnsureSuccessStatusCode().Content.ReadAsStringAsync())!["writer"]!;
            foreach (var body in bodies)
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.tlc.columns");
                using var response = await http.PostAsync($"/v1/ranks/{writer}/rows", content);
                response.EnsureSuccessStatusCode();
            }
            using var closed = await http.PostAsync($"/v1/ranks/{writer}/close", null);
            closed.EnsureSuccessStatusCode();
            return Rows / watch.Elapsed.TotalSeconds;
        }

        // Warm-up (JIT, the silo's grains, the HTTP connection), then alternating rounds.
        await LocalAsync();
        await SdkAsync();
        await HttpAsync();
        var local = new List<double>();
        var sdk = new List<double>();
        var overHttp = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            local.Add(await LocalAsync());
            sdk.Add(await SdkAsync());
            overHttp.Add(await HttpAsync());
            Console.Error.WriteLine($"[bench] ingest round {round}: local {local[^1]:N0}, SDK {sdk[^1]:N0}, HTTP {overHttp[^1]:N0} rows/s");
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        string Spread(List<double> values) => $"min {values.Min():N0}, median {Median(values):N0}, max {values.Max():N0} rows/s";
        var notes = $"{Rows:N0} rows of example_id + float32 loss in batches of {Batch:N0}, one rank (world 1) on the embedded silo; {Rounds} alternating rounds after a warm-up of each";
        return
        [
            new BenchResult("Rank ingest through the C# SDK (Run.OpenRankWriterAsync)", $"{Median(sdk):N0} rows/s", $"local TableWriter {Median(local):N0} rows/s",
                Median(sdk) / Median(local), "≥ 1,000,000 rows/s", Median(sdk) >= 1_000_000,
                $"{notes}; from opening the share to the closed share (chunks streamed to files and committed through the sink): {Spread(sdk)}; local table, no cluster: {Spread(local)}"),
            new BenchResult("Rank ingest through the training API (HTTP, binary columns)", $"{Median(overHttp):N0} rows/s", $"C# SDK {Median(sdk):N0} rows/s",
                Median(overHttp) / Median(sdk), "≥ 200,000 rows/s", Median(overHttp) >= 200_000,
                $"{notes}; POST /v1/ranks, {bodies.Length} binary POSTs of rows (prepared before timing, as numpy arrays would be), close; loopback, one connection: {Spread(overHttp)}"),
        ];
    }

    /// <summary>A batch in the binary form.</summary>
    private static byte[] Body(long[] ids, float[] losses, int start, int count)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new
        {
            rows = count,
            columns = new[] { new { name = "example_id", type = "int64" }, new { name = "loss", type = "float32" } },
        });
        using var body = new MemoryStream();
        body.Write("TLCC"u8);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        body.Write(length);
        body.Write(header);
        void Align()
        {
            while (body.Length % 8 != 0)
            {
                body.WriteByte(0);
            }
        }
        Align();
        body.Write(MemoryMarshal.AsBytes(ids.AsSpan(start, count)));
        Align();
        body.Write(MemoryMarshal.AsBytes(losses.AsSpan(start, count)));
        return body.ToArray();
    }
}
