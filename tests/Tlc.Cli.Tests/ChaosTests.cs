using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Tlc.Cluster;
using Tlc.Tables.Configuration;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// Seeded chaos on real processes: a cluster from <c>deploy/local-cluster</c> (3 silos, 2 workers, default settings) runs
/// a collect job, an import job and a training stream (2 Python ranks writing through the HTTP host) round after round
/// while a schedule drawn from a seed kills (<c>kill -9</c>) silos and workers every few seconds and starts them again.
/// After every round: every job completed; its table equals the fault-free one (content hash); every example_id once;
/// every lease that expired was a killed worker's and was taken back within 2 × the lease of the kill; every item a
/// killed worker held at its death shows in the job's history as its expired lease (or was committed by that attempt,
/// a commit already on its way). At the end, after
/// <c>tlc gc</c>, no chunk file is left that no table references. <c>TLC_CHAOS_SECONDS</c> (default 120) and
/// <c>TLC_CHAOS_SEED</c> (default: drawn and printed) set the run; <c>deploy/chaos</c> runs it for as long as asked.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed partial class ChaosTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30); // tlc collect / tlc import's default --lease-seconds
    private readonly TempRoot _root = new("chaos");
    private readonly StringBuilder _journal = new();

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 40 * 60_000)]
    public async Task SeededKillsOfSilosAndWorkers_CollectImportAndStreamJobs_EveryRoundEqualsTheFaultFreeResult()
    {
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("TLC_CHAOS_SEED"), CultureInfo.InvariantCulture, out var s) ? s : Random.Shared.Next(1, 1_000_000);
        var duration = TimeSpan.FromSeconds(double.TryParse(System.Environment.GetEnvironmentVariable("TLC_CHAOS_SECONDS"), CultureInfo.InvariantCulture, out var d) ? d : 120);
        Note($"chaos seed {seed} (replay: TLC_CHAOS_SEED={seed} deploy/chaos --seconds {duration.TotalSeconds:F0}), {duration.TotalSeconds:F0} s");
        // TLC_CHAOS_KEEP=DIR: the processes' logs are copied there at the end, whatever the outcome.
        await using var keep = new KeepLogs(System.Environment.GetEnvironmentVariable("TLC_CHAOS_KEEP"), Path.Combine(_root.Path, "state", "logs"));
        await using var cluster = await LocalCluster.UpAsync(Path.Combine(_root.Path, "state"), Path.Combine(_root.Path, "root"),
            allow: [_root.Path, Path.GetDirectoryName(Fixtures.FashionMnistCnnWeights)!]);
        var env = cluster.Environment;

        // Inputs: Fashion-MNIST's test split as a table; a CSV of 200,000 rows.
        var import = await CliProcess.RunAsync(["import", "fashion-mnist", Fixtures.FashionMnistIdx, "--idx", "t10k", "--project", "chaos", "--dataset", "fm", "--table", "test", "--json"], env);
        Assert.True(import.ExitCode == 0, import.Stderr);
        string input;
        using (var made = JsonDocument.Parse(import.Stdout))
        {
            input = made.RootElement.GetProperty("url").GetString()!;
        }
        var csv = Path.Combine(_root.Path, "big.csv");
        await using (var writer = new StreamWriter(csv))
        {
            await writer.WriteAsync("id,name,score,note\n");
            for (var i = 0; i < 200_000; i++)
            {
                await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{i},n{i % 17},{i * 0.5},\"a, {i}\"\n"));
            }
        }

        // The fault-free results, on the same cluster.
        var reference = await RunRoundAsync(cluster, input, csv, "reference", chaos: null);
        string expectedMetrics, expectedTable, expectedStream;
        using (var metrics = await Table.OpenAsync(reference.MetricsUrl))
        using (var table = await Table.OpenAsync(reference.TableUrl))
        using (var stream = await Table.OpenAsync(reference.StreamUrl))
        {
            expectedMetrics = metrics.ContentHash();
            expectedTable = table.ContentHash();
            expectedStream = stream.ContentHash();
        }

        var settings = TlcConfiguration.Load(configFile: cluster.ConfigFile);
        await using var connection = await ClusterConnection.ConnectAsync(settings, startSiloIfNone: false);
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        var rounds = 0;
        var kills = 0;
        var held = 0;
        do
        {
            rounds++;
            var name = $"r{rounds}";
            var chaos = new Chaos(cluster, connection.Context, random, this);
            var round = await RunRoundAsync(cluster, input, csv, name, chaos);
            kills += chaos.Kills.Count;
            await CheckRoundAsync(cluster, connection.Context, round, chaos, (expectedMetrics, expectedTable, expectedStream), seed);
            held += chaos.Kills.Sum(k => k.Held.Count);
        }
        while (clock.Elapsed < duration);
        Note($"{rounds} round(s), {kills} kill(s) in {clock.Elapsed.TotalSeconds:F0} s; the killed workers held {held} item(s) at their deaths, each accounted for");

        // Nothing staged is left once tlc gc has run: every chunk file under the root is one a published table references.
        var gc = await CliProcess.RunAsync(["gc", "--min-age-hours", "0"], env);
        Assert.True(gc.ExitCode == 0, gc.Stderr);
        var unreferenced = await LocalCluster.UnreferencedChunksAsync(cluster.Root);
        Assert.True(unreferenced.Count == 0, $"seed {seed}: chunk files no table references after tlc gc: {string.Join(", ", unreferenced.Take(10))}\n{_journal}");
        Assert.True(kills > 0, $"seed {seed}: the schedule killed nothing\n{_journal}");
    }

    private sealed record Round(string Name, string CollectJob, string ImportJob, string StreamJob, string MetricsUrl, string TableUrl, string StreamUrl)
    {
        public string[] Jobs => [CollectJob, ImportJob, StreamJob];
    }

    /// <summary>
    /// Runs one collect job, one import job and one training stream of 2 ranks at once (with <paramref name="chaos"/> while
    /// they run) to their end.
    /// </summary>
    private async Task<Round> RunRoundAsync(LocalCluster cluster, string input, string csv, string name, Chaos? chaos)
    {
        var env = cluster.Environment;
        var importJob = $"chaos-{name}-{Guid.NewGuid():N}"[..24];
        await using var collect = CliProcess.Start([
            "collect", "--table", input, "--model", $"factory:fashion-mnist-cnn@{Fixtures.FashionMnistCnnWeights}",
            "--collectors", "classification,embeddings", "--collector-args", """embeddings={"layers": [9]}""",
            "--run", $"chaos/{name}", "--split", "test", "--epoch", "1", "--shard-rows", "256", "--verbose",
        ], env);
        await using var import = CliProcess.Start(["import", "csv", csv, "--project", "chaos", "--dataset", "d", "--table", name, "--cluster",
            "--chunk-mb", "0.1", "--job-id", importJob, "--json", "--verbose"], env);
        // The ranks of a training launch: each writes its share of the input's rows through the HTTP host.
        var script = Path.Combine(Fixtures.RepositoryRoot, "tests", "Tlc.Cli.Tests", "Scripts", "chaos_rank.py");
        var ranks = Enumerable.Range(0, 2).Select(rank => CliProcess.StartProgram(Python, [script, "--api", cluster.ApiUrl, "--run", $"chaos/{name}-ranks",
            "--table", input, "--rows", "10000"], new Dictionary<string, string?>
            {
                ["RANK"] = rank.ToString(CultureInfo.InvariantCulture), ["WORLD_SIZE"] = "2", ["TLC_LAUNCH_ID"] = $"chaos-{name}",
            })).ToList();
        try
        {
            var collectJob = (await collect.WaitForLineAsync("Job ", TimeSpan.FromMinutes(3))).Split(' ')[1].TrimEnd(':');
            string streamJob, streamUrl;
            using (var opened = JsonDocument.Parse(await ranks[0].WaitForLineAsync("{", TimeSpan.FromMinutes(3))))
            {
                streamJob = opened.RootElement.GetProperty("sink_id").GetString()!;
                streamUrl = opened.RootElement.GetProperty("url").GetString()!;
            }
            Note($"round {name}: collect job {collectJob}, import job {importJob}, stream job {streamJob}");
            var schedule = chaos?.RunAsync([collectJob, importJob, streamJob], () => collect.HasExited && import.HasExited && ranks.All(r => r.HasExited))
                ?? Task.CompletedTask;
            var collectExit = await collect.WaitForExitAsync(TimeSpan.FromMinutes(15));
            var importExit = await import.WaitForExitAsync(TimeSpan.FromMinutes(15));
            var rankExits = new List<int>();
            foreach (var rank in ranks)
            {
                rankExits.Add(await rank.WaitForExitAsync(TimeSpan.FromMinutes(15)));
            }
            await schedule;
            Assert.True(collectExit == 0, $"round {name}: collect failed\n{collect.Transcript}\n{_journal}");
            Assert.True(importExit == 0, $"round {name}: import failed\n{import.Transcript}\n{_journal}");
            for (var rank = 0; rank < ranks.Count; rank++)
            {
                Assert.True(rankExits[rank] == 0, $"round {name}: rank {rank} failed\n{ranks[rank].Transcript}\n{_journal}");
            }
            var line = await collect.WaitForLineAsync("Metrics table ");
            using var made = JsonDocument.Parse(import.Stdout);
            return new Round(name, collectJob, importJob, streamJob, line["Metrics table ".Length..line.IndexOf(": ", StringComparison.Ordinal)],
                made.RootElement.GetProperty("url").GetString()!, streamUrl);
        }
        finally
        {
            foreach (var rank in ranks)
            {
                await rank.DisposeAsync();
            }
        }
    }

    /// <summary>Copies a folder of logs to <c>TLC_CHAOS_KEEP</c> when disposed (after the cluster went down), when that is set.</summary>
    private sealed class KeepLogs(string? target, string logs) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            if (!string.IsNullOrEmpty(target) && Directory.Exists(logs))
            {
                Directory.CreateDirectory(target);
                foreach (var file in Directory.GetFiles(logs))
                {
                    File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
                }
            }
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Debian's Python, which has numpy from Debian's packages; another python3 may lack it.</summary>
    private static string Python => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    private async Task CheckRoundAsync(LocalCluster cluster, ClusterContext client, Round round, Chaos chaos, (string Metrics, string Table, string Stream) expected, int seed)
    {
        var context = $"seed {seed}, round {round.Name}";
        using (var metrics = await Table.OpenAsync(round.MetricsUrl))
        {
            var ids = metrics.Rows.Select(r => (long)r["example_id"]!).ToList();
            Assert.True(ids.Count == 10_000 && ids.Distinct().Count() == 10_000, $"{context}: {ids.Count} metrics rows, {ids.Distinct().Count()} distinct example_ids\n{_journal}");
            Assert.True(expected.Metrics == metrics.ContentHash(), $"{context}: the metrics table differs from the fault-free one\n{_journal}");
        }
        using (var table = await Table.OpenAsync(round.TableUrl))
        {
            Assert.True(table.RowCount == 200_000, $"{context}: {table.RowCount} imported rows\n{_journal}");
            Assert.True(expected.Table == table.ContentHash(), $"{context}: the imported table differs from the fault-free one\n{_journal}");
        }
        foreach (var job in round.Jobs)
        {
            // The stream's table is published by its job once both ranks closed their shares: wait for its end.
            JsonDocument json;
            var waited = Stopwatch.StartNew();
            while (true)
            {
                var show = await CliProcess.RunAsync(["job", "show", job, "--json"], cluster.Environment);
                Assert.True(show.ExitCode == 0, show.Stderr);
                json = JsonDocument.Parse(show.Stdout);
                var status = json.RootElement.GetProperty("status").GetString();
                if (status is "completed" or "failed" or "cancelled" || waited.Elapsed > TimeSpan.FromMinutes(3))
                {
                    Assert.True(status == "completed", $"{context}: job {job} is {status}\n{show.Stdout}\n{_journal}");
                    break;
                }
                json.Dispose();
                await Task.Delay(500);
            }
            using var _ = json;
            var history = json.RootElement.GetProperty("history").EnumerateArray().Select(e => e.GetString()!).ToList();
            Note($"round {round.Name}: job {job} history: {(history.Count == 0 ? "none" : string.Join(" | ", history))}");
            var expired = history.Select(h => ExpiryPattern().Match(h)).Where(m => m.Success).ToList();
            foreach (var entry in expired)
            {
                var holder = entry.Groups["holder"].Value;
                var takenBack = DateTimeOffset.Parse(entry.Groups["back"].Value, CultureInfo.InvariantCulture);
                // Every lease that ran out was a killed worker's: a silo's death costs no live worker its lease. (The kill of that
                // instance; else, for a worker killed before it was seen at work, the latest kill of its id before the take-back.)
                var kill = chaos.Kills.Where(k => k.Instance == holder).OrderBy(k => k.At).FirstOrDefault()
                    ?? chaos.Kills.Where(k => k.Worker == holder.Split('#')[0] && k.At <= takenBack).OrderBy(k => k.At).LastOrDefault();
                Assert.True(kill is not null, $"{context}: job {job}: a lease of {holder}, which was never killed, expired: {entry.Value}\n{_journal}");
                Assert.True(takenBack - kill.At <= 2 * Lease, $"{context}: job {job}: {entry.Value}: taken back {(takenBack - kill.At).TotalSeconds:F1} s after the kill (> 2 × {Lease.TotalSeconds:F0} s)\n{_journal}");
            }
            // Every item a killed worker held when it died shows as that attempt's expired lease, or was committed by that
            // attempt (its commit was on its way when the worker died).
            var heldHere = chaos.Kills.SelectMany(k => k.Held).Where(h => h.Job == job).ToList();
            if (heldHere.Count == 0)
            {
                continue;
            }
            var items = await ItemsAsync(client, job);
            foreach (var held in heldHere)
            {
                var shown = expired.Any(m => m.Groups["item"].Value == held.Item.ToString(CultureInfo.InvariantCulture)
                    && m.Groups["attempt"].Value == held.Attempt.ToString(CultureInfo.InvariantCulture) && m.Groups["holder"].Value == held.Holder);
                var committed = items.TryGetValue(held.Item, out var item) && item.Lease.Status == WorkStatus.Committed && item.Lease.CommittedAttempt == held.Attempt;
                Assert.True(shown || committed, $"{context}: job {job}: item {held.Item} attempt {held.Attempt}, held by {held.Holder} when it was killed, shows no expired lease in the history (and was not committed by that attempt)\n{_journal}");
            }
            Note($"round {round.Name}: job {job}: the {heldHere.Count} item(s) the killed workers held all show in its history or were committed by that attempt");
        }
        using (var stream = await Table.OpenAsync(round.StreamUrl))
        {
            var ids = stream.Rows.Select(r => (long)r["example_id"]!).ToList();
            Assert.True(ids.Count == 10_000 && ids.Distinct().Count() == 10_000, $"{context}: {ids.Count} stream rows, {ids.Distinct().Count()} distinct example_ids\n{_journal}");
            Assert.True(expected.Stream == stream.ContentHash(), $"{context}: the stream's table differs from the fault-free one\n{_journal}");
        }
    }

    /// <summary>Every item of <paramref name="job"/> by index, as its segments keep it (each segment asked again while the cluster is between silos).</summary>
    private static async Task<Dictionary<int, ItemInfo>> ItemsAsync(ClusterContext client, string job, TimeSpan? patience = null)
    {
        var until = DateTime.UtcNow + (patience ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                var grain = client.Client.GetGrain<IJobGrain>(job);
                if (await grain.GetSpecAsync().WaitAsync(TimeSpan.FromSeconds(5)) is not { } spec)
                {
                    return []; // not submitted yet (an import still planning): it has no items
                }
                var progress = await grain.GetProgressAsync().WaitAsync(TimeSpan.FromSeconds(5));
                var items = new Dictionary<int, ItemInfo>();
                for (var segment = 0; segment < spec.SegmentsFor(progress.Items); segment++)
                {
                    foreach (var item in await client.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(job, segment)).GetItemsAsync().WaitAsync(TimeSpan.FromSeconds(5)))
                    {
                        items[item.Index] = item;
                    }
                }
                return items;
            }
            catch (Exception e) when (TransientClusterErrors.IsTransient(e) && DateTime.UtcNow < until)
            {
                await Task.Delay(500);
            }
        }
    }

    private void Note(string line)
    {
        var stamped = $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}";
        lock (_journal)
        {
            _journal.AppendLine(stamped);
        }
        TestContext.Current.TestOutputHelper?.WriteLine(stamped);
        Console.Error.WriteLine($"[chaos] {stamped}");
    }

    /// <summary>A kill: the worker instance it ended (null for a silo, or a worker not seen at work since it started), when, and the items it held then.</summary>
    /// <param name="Worker">The worker id (a worker's instances share it; null for a silo).</param>
    private sealed record Kill(string Role, int Index, string? Worker, string? Instance, DateTimeOffset At, IReadOnlyList<Held> Held);

    /// <summary>An item a killed worker held when it died: its job, index, attempt and holder (worker#instance).</summary>
    private sealed record Held(string Job, int Item, int Attempt, string Holder);

    /// <summary>The seeded schedule of one round: every 2-6 s a worker, a silo or both are killed, and started again 1-6 s later.</summary>
    private sealed class Chaos(LocalCluster cluster, ClusterContext client, Random random, ChaosTests test)
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<(string, int), bool> _up = new();
        private readonly List<Task> _restarts = [];

        public List<Kill> Kills { get; } = [];

        public async Task RunAsync(IReadOnlyList<string> jobs, Func<bool> finished)
        {
            for (var i = 1; i <= cluster.Silos; i++)
            {
                _up[("silo", i)] = true;
            }
            for (var i = 1; i <= cluster.Workers; i++)
            {
                _up[("worker", i)] = true;
            }
            while (!finished())
            {
                await Task.Delay(random.Next(2_000, 6_000));
                if (finished())
                {
                    break;
                }
                var action = random.Next(3);
                if (action is 0 or 2)
                {
                    await KillWorkerAsync(random.Next(1, cluster.Workers + 1), jobs);
                }
                if (action is 1 or 2)
                {
                    await KillSiloAsync(random.Next(1, cluster.Silos + 1));
                }
            }
            await Task.WhenAll(_restarts);
        }

        private async Task KillWorkerAsync(int index, IReadOnlyList<string> jobs)
        {
            if (!_up[("worker", index)])
            {
                return;
            }
            // Kill it right after it committed something, so it is at work: its latest lines say on which jobs and as whom.
            var log = cluster.Log("worker", index);
            var seen = Lines(log).Count;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
            List<Match> fresh = [];
            while (DateTime.UtcNow < deadline && fresh.Count == 0)
            {
                await Task.Delay(50);
                fresh = [.. Lines(log).Skip(seen).Select(l => AcceptedPattern().Match(l)).Where(m => m.Success)];
            }
            var instance = fresh.LastOrDefault()?.Groups["worker"].Value;
            await cluster.KillAsync("worker", index);
            var at = DateTimeOffset.UtcNow;
            // What it held at its death, as the segments keep it (asked at once: a dead worker's leases stay until they expire).
            var workerId = cluster.WorkerId(index);
            var held = new List<Held>();
            foreach (var job in jobs)
            {
                try
                {
                    held.AddRange((await ItemsAsync(client, job, TimeSpan.FromSeconds(10))).Values
                        .Where(i => i.Lease is { Status: WorkStatus.Leased, Holder: { } holder } && holder.Id == workerId)
                        .Select(i => new Held(job, i.Index, i.Lease.Attempt, i.Lease.Holder!.ToString())));
                }
                catch (Exception e) when (TransientClusterErrors.IsTransient(e))
                {
                    test.Note($"the items worker {index} held in job {job} are unknown: {e.Message}");
                }
            }
            Kills.Add(new Kill("worker", index, workerId, instance ?? held.FirstOrDefault()?.Holder, at, held));
            test.Note($"killed worker {index} ({instance ?? "not seen at work"}), holding {(held.Count == 0 ? "nothing" : string.Join(", ", held.Select(h => $"{h.Job} item {h.Item} attempt {h.Attempt}")))}");
            Restart("worker", index, random.Next(1_000, 5_000));
        }

        private async Task KillSiloAsync(int index)
        {
            // At least one silo stays up: the membership table then always has a live member to vouch for the restarted ones.
            if (!_up[("silo", index)] || _up.Count(p => p.Key.Item1 == "silo" && p.Value) < 2)
            {
                return;
            }
            await cluster.KillAsync("silo", index);
            Kills.Add(new Kill("silo", index, null, null, DateTimeOffset.UtcNow, []));
            test.Note($"killed silo {index}");
            Restart("silo", index, random.Next(2_000, 6_000));
        }

        private void Restart(string role, int index, int delayMs)
        {
            _up[(role, index)] = false;
            _restarts.Add(Task.Run(async () =>
            {
                await Task.Delay(delayMs);
                await cluster.StartAsync(role, index);
                test.Note($"started {role} {index} again");
                _up[(role, index)] = true;
            }));
        }

        private static List<string> Lines(string path)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return [.. reader.ReadToEnd().Split('\n')];
        }
    }

    [GeneratedRegex(@"^(shard|chunk) (?<item>\d+): attempt (?<attempt>\d+) by (?<holder>\S+): lease expired at (?<deadline>\S+), taken back at (?<back>\S+)$")]
    private static partial Regex ExpiryPattern();

    [GeneratedRegex(@"Worker (?<worker>\S+): job (?<job>\S+) (shard|chunk) \d+ attempt \d+: Accepted")]
    private static partial Regex AcceptedPattern();
}
