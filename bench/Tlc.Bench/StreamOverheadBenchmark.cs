using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Tlc.Api.Hosting;
using Tlc.Metrics;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;

namespace Tlc.Bench;

/// <summary>
/// What per-sample streaming costs a distributed training epoch: the DDP example's trainer (examples/ddp/train.py, PyTorch
/// gloo on CPU) with 2 rank processes trains one full epoch of Fashion-MNIST (60,000 rows) read from a Tlc table, once writing every
/// sample's loss and step through the training API and once writing nothing, alternating; the epoch's training time of
/// rank 0 (from the epoch's start to its closed share) is compared.
/// </summary>
internal static partial class StreamOverheadBenchmark
{
    private const int Ranks = 2;
    private const int Rows = 60_000;
    private static readonly int Rounds = int.Parse(Environment.GetEnvironmentVariable("BENCH_REPEATS") ?? "5", CultureInfo.InvariantCulture);

    public static async Task<BenchResult> RunAsync()
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var script = Path.Combine(Tlc.Testing.Fixtures.RepositoryRoot, "examples", "ddp", "train.py");
        var root = Path.Combine(BenchContext.Scratch, "ddp");
        var settings = new TlcOptions { Root = root };
        var options = (string table) => new ImportOptions { Project = "bench", Dataset = "fashion-mnist", Table = table, Root = Url.FromLocalPath(root), Settings = settings };
        using var train = await FashionMnist.ImportIdxAsync("/usr/share/datasets/fashion-mnist", "train", options("train"));
        using var test = await FashionMnist.ImportIdxAsync("/usr/share/datasets/fashion-mnist", "t10k", options("test"));
        await using var connection = await ClusterConnection.ConnectAsync(settings);
        await using var api = await TrainingApiHost.StartAsync(connection.Context, new TrainingApiOptions { Port = 0 });
        var launch = 0;

        async Task<double> EpochAsync(bool stream)
        {
            var port = FreePort();
            var id = launch++;
            var ranks = Enumerable.Range(0, Ranks).Select(rank =>
            {
                var start = new ProcessStartInfo(python,
                [
                    script, "--api", api.Url, "--run", $"bench/ddp-{id}", "--train-table", train.Url.Value, "--test-table", test.Url.Value,
                    "--epochs", "1", "--train-rows", Rows.ToString(CultureInfo.InvariantCulture), "--checkpoint", Path.Combine(root, $"checkpoint-{id}.pt"), "--skip-eval",
                    .. stream ? Array.Empty<string>() : ["--no-stream"],
                ])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                start.Environment["MASTER_ADDR"] = "127.0.0.1";
                start.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
                start.Environment["RANK"] = rank.ToString(CultureInfo.InvariantCulture);
                start.Environment["WORLD_SIZE"] = Ranks.ToString(CultureInfo.InvariantCulture);
                start.Environment["TLC_LAUNCH_ID"] = $"bench-{id}";
                var process = Process.Start(start)!;
                return (Process: process, Output: process.StandardOutput.ReadToEndAsync(), Errors: process.StandardError.ReadToEndAsync());
            }).ToList();
            foreach (var (process, _, _) in ranks)
            {
                await process.WaitForExitAsync();
            }
            var output = await ranks[0].Output;
            foreach (var (process, _, errors) in ranks)
            {
                if (process.ExitCode != 0)
                {
                    throw new InvalidOperationException($"train.py failed ({process.ExitCode}): {await errors}");
                }
                process.Dispose();
            }
            var match = Trained().Match(output);
            return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"train.py printed no training time: {output}");
        }

        await EpochAsync(stream: true);
        var streamed = new List<double>();
        var plain = new List<double>();
        for (var round = 0; round < Rounds; round++)
        {
            if (round % 2 == 0)
            {
                streamed.Add(await EpochAsync(stream: true));
                plain.Add(await EpochAsync(stream: false));
            }
            else
            {
                plain.Add(await EpochAsync(stream: false));
                streamed.Add(await EpochAsync(stream: true));
            }
            Console.Error.WriteLine($"[bench] ddp epoch round {round}: streaming {streamed[^1]:F2} s, none {plain[^1]:F2} s");
        }
        double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        var ratio = Median(streamed) / Median(plain);
        return new BenchResult("DDP epoch with per-sample streaming (2 ranks, PyTorch gloo)", $"{Median(streamed):F2} s", $"no streaming {Median(plain):F2} s",
            ratio, "≤ 1.05 (≤ 5% slower)", ratio <= 1.05,
            $"examples/ddp/train.py, {Rows:N0} Fashion-MNIST rows read from a Tlc table through the API, batch 64, one torch thread per rank; streaming writes each sample's loss and step " +
            $"(binary columns per batch, share closed at the epoch's end); rank 0's epoch time, {Rounds} alternating rounds after a warm-up: streaming " +
            $"{string.Join("/", streamed.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} s, none {string.Join("/", plain.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))} s; " +
            "ratio = streaming ÷ none (lower is better)");
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    [GeneratedRegex(@"epoch 0 trained in ([0-9.]+) s")]
    private static partial Regex Trained();
}
