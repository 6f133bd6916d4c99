using System.Diagnostics;
using Tlc.Cluster;

namespace Tlc.Testing.Cluster.Kernel;

/// <summary>How a <see cref="JobSimulation"/> runs.</summary>
public sealed record SimulationOptions
{
    /// <summary>Items of the job. Default: 100,000.</summary>
    public int Items { get; init; } = 100_000;

    /// <summary>Simulated workers alive at once. Default: 10,000.</summary>
    public int Workers { get; init; } = 10_000;

    /// <summary>Items a worker asks for at once. Default: 2.</summary>
    public int LeaseBatch { get; init; } = 2;

    /// <summary>Items per segment grain. Default: <see cref="JobSpec.DefaultItemsPerSegment"/>.</summary>
    public int ItemsPerSegment { get; init; } = JobSpec.DefaultItemsPerSegment;

    /// <summary>The lease length, in virtual time. Default: 30 s.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a worker renews, in virtual time. Default: 10 s (a third of the lease, as workers do).</summary>
    public TimeSpan RenewEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Virtual time per step. Default: 1 s.</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Shortest work on a batch, in steps. Default: 1.</summary>
    public int MinWorkTicks { get; init; } = 1;

    /// <summary>Longest work on a batch, in steps (some batches outlive a renewal). Default: 15.</summary>
    public int MaxWorkTicks { get; init; } = 15;

    /// <summary>The shortest wait of an idle worker that asked for work and got none, in steps (its poll interval). Default: 1.</summary>
    public int PollTicks { get; init; } = 1;

    /// <summary>
    /// The longest wait between an idle worker's polls, in steps: it waits until the earliest lease can run out, as the job
    /// says, doubling its wait with each empty answer, but no longer than this (as workers: 8 s). Default: 8.
    /// </summary>
    public int MaxPollTicks { get; init; } = 8;

    /// <summary>The chance that a live worker dies in one step (it stops answering, holding its leases). Default: 0.0005.</summary>
    public double DeathRate { get; init; } = 0.0005;

    /// <summary>Steps before a dead worker's replacement joins. Default: 20.</summary>
    public int ReplaceAfterTicks { get; init; } = 20;

    /// <summary>The committed fraction at which the silo is restarted once (null: never). Default: 0.5.</summary>
    public double? RestartAt { get; init; } = 0.5;

    /// <summary>Attempts per item. Default: 20 (deaths expire leases; an item must not run out of attempts).</summary>
    public int MaxAttempts { get; init; } = 20;

    /// <summary>Grain calls in flight at once. Default: 2,000.</summary>
    public int Concurrency { get; init; } = 2_000;

    /// <summary>The seed of every random choice (deaths, work lengths): the same seed replays the same schedule of faults.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Steps after which the simulation gives up. Default: 20,000.</summary>
    public int MaxTicks { get; init; } = 20_000;
}

/// <summary>What a <see cref="JobSimulation"/> measured.</summary>
public sealed record SimulationResult
{
    /// <summary>The job's final progress.</summary>
    public required JobProgress Final { get; init; }

    /// <summary>Items accepted exactly once.</summary>
    public long ExactlyOnce { get; init; }

    /// <summary>Items accepted more than once (must be 0).</summary>
    public long Duplicates { get; init; }

    /// <summary>Items never accepted (must be 0).</summary>
    public long Missing { get; init; }

    /// <summary>Items the probe kind read back at publication.</summary>
    public long Published { get; init; }

    /// <summary>Workers that died.</summary>
    public int Deaths { get; init; }

    /// <summary>Silo restarts.</summary>
    public int Restarts { get; init; }

    /// <summary>Grain calls the silo received (workers' and grains' own), over the items.</summary>
    public double MessagesPerItem { get; init; }

    /// <summary>Grain calls by method.</summary>
    public required IReadOnlyDictionary<string, long> Calls { get; init; }

    /// <summary>The largest state record written, in bytes, and its state name.</summary>
    public (string State, long Bytes) LargestState { get; init; }

    /// <summary>Bytes of state written in all.</summary>
    public long StateBytesWritten { get; init; }

    /// <summary>Virtual time from a worker's death to each of its items being leased again: the longest.</summary>
    public TimeSpan LongestDeathToRelease { get; init; }

    /// <summary>The median of the same.</summary>
    public TimeSpan MedianDeathToRelease { get; init; }

    /// <summary>Items whose re-lease after a death was measured.</summary>
    public int Released { get; init; }

    /// <summary>Virtual time the job took.</summary>
    public TimeSpan VirtualTime { get; init; }

    /// <summary>Wall time of the simulation.</summary>
    public TimeSpan WallTime { get; init; }

    /// <summary>The process's peak working set, in bytes.</summary>
    public long PeakWorkingSet { get; init; }

    /// <summary>The managed heap after a full collection at the end, in bytes.</summary>
    public long ManagedHeapAtEnd { get; init; }
}

/// <summary>
/// Drives the kernel's real grains (one <see cref="KernelSilo"/>) in virtual time with thousands of simulated workers over
/// one job of probe items: workers lease batches, work a random number of steps, renew while they work and commit; some
/// die holding leases (seeded), replacements join later, and the silo restarts once. Afterwards every item must have been
/// accepted exactly once and read back at publication; the result holds what the benchmarks report.
/// </summary>
public static class JobSimulation
{
    /// <summary>Runs a simulation with grain state under <paramref name="stateFolder"/>.</summary>
    public static async Task<SimulationResult> RunAsync(string stateFolder, SimulationOptions options, IProgress<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var wall = Stopwatch.StartNew();
        var random = new Random(options.Seed);
        await using var silo = await KernelSilo.StartAsync(stateFolder, cancellationToken: cancellationToken);
        var clock = silo.Clock;
        var started = clock.GetUtcNow();
        var jobId = $"sim-{options.Seed}-{Guid.NewGuid().ToString("N")[..8]}";
        var spec = new ProbeJobSpec
        {
            JobId = jobId, Items = options.Items, ItemsPerSegment = options.ItemsPerSegment, LeaseDuration = options.Lease, MaxAttempts = options.MaxAttempts,
            Submitted = started, Bytes = options.Items,
        };
        await silo.Client.GetGrain<IJobGrain>(jobId).SubmitAsync(spec).WaitAsync(cancellationToken);

        var accepted = new int[options.Items];
        var workers = Enumerable.Range(0, options.Workers).Select(i => new SimWorker(i, 0)).ToList();
        var joining = new List<(int At, SimWorker Worker)>();
        var diedAt = new Dictionary<int, DateTimeOffset>();
        var deathToRelease = new List<TimeSpan>();
        var deaths = 0;
        var restarts = 0;
        var largest = new Dictionary<string, long>(StringComparer.Ordinal);
        long bytesWritten = 0;
        var restartAt = options.RestartAt is { } f ? (long)(f * options.Items) : long.MaxValue;
        long committed = 0;
        JobProgress? final = null;
        var tick = 0;
        for (; tick < options.MaxTicks && final is null; tick++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var now = clock.GetUtcNow();
            IJobGrain Job() => silo.Client.GetGrain<IJobGrain>(jobId);
            IJobSegmentGrain Segment(int item) => silo.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(jobId, JobKeys.SegmentOf(item, options.ItemsPerSegment)));

            // Deaths: a worker stops answering, holding its leases; a replacement joins later.
            foreach (var worker in workers.Where(w => w.Alive))
            {
                if (random.NextDouble() < options.DeathRate)
                {
                    worker.Alive = false;
                    deaths++;
                    foreach (var grant in worker.Held)
                    {
                        diedAt[grant.Item] = now;
                    }
                    joining.Add((tick + options.ReplaceAfterTicks, new SimWorker(worker.Id, worker.Incarnation + 1)));
                }
            }
            foreach (var (_, worker) in joining.Where(j => j.At <= tick).ToList())
            {
                workers[worker.Id] = worker;
            }
            joining.RemoveAll(j => j.At <= tick);
            var alive = workers.Where(w => w.Alive).ToList();

            // Commits of finished batches.
            var finishing = alive.Where(w => w.Held.Count > 0 && w.FinishAt <= now).ToList();
            await ForEachAsync(finishing.SelectMany(w => w.Held.Select(g => (Worker: w, Grant: g))).ToList(), options.Concurrency, async pair =>
            {
                var result = await Segment(pair.Grant.Item).CommitAsync(new ProbeCommit
                {
                    Item = pair.Grant.Item, OperationId = $"{pair.Worker.Ref}/{pair.Grant.Item}/{pair.Grant.Attempt}", Attempt = pair.Grant.Attempt, Token = pair.Grant.Token, Rows = 1,
                });
                if (result.Outcome == CommitOutcome.Accepted)
                {
                    Interlocked.Increment(ref accepted[pair.Grant.Item]);
                    Interlocked.Increment(ref committed);
                }
                lock (pair.Worker)
                {
                    pair.Worker.Held.Remove(pair.Grant);
                }
            }, cancellationToken);

            // Renewals of batches still being worked on.
            var renewing = alive.Where(w => w.Held.Count > 0 && w.NextRenew <= now).ToList();
            await ForEachAsync(renewing.SelectMany(w => w.Held.Select(g => (Worker: w, Grant: g))).ToList(), options.Concurrency, async pair =>
            {
                if (await Segment(pair.Grant.Item).RenewAsync(pair.Grant.Item, pair.Grant.Token) != RenewOutcome.Renewed)
                {
                    lock (pair.Worker)
                    {
                        pair.Worker.Held.Remove(pair.Grant);
                    }
                }
            }, cancellationToken);
            foreach (var worker in renewing)
            {
                worker.NextRenew = now + options.RenewEvery;
            }

            // Leases for idle workers whose poll is due.
            var asking = alive.Where(w => w.Held.Count == 0 && w.NextPoll <= tick).ToList();
            var job = Job();
            await ForEachAsync(asking, options.Concurrency, async worker =>
            {
                var batch = await job.LeaseAsync(worker.Ref, options.LeaseBatch);
                var grants = batch.Grants;
                lock (worker)
                {
                    worker.Held.AddRange(grants);
                }
                if (grants.Length == 0)
                {
                    if (!batch.Open)
                    {
                        // The job hands out nothing more (it publishes): a worker turns to the queue's long poll.
                        worker.NextPoll = int.MaxValue;
                        return;
                    }
                    // As workers do: not before a held lease can run out, backing off with each empty answer, within
                    // [PollTicks, MaxPollTicks].
                    worker.Empty++;
                    var hint = (int)Math.Ceiling(batch.RetryAfter / options.Tick);
                    var backoff = options.PollTicks << Math.Min(worker.Empty - 1, 16);
                    worker.NextPoll = tick + Math.Clamp(Math.Max(hint, backoff), options.PollTicks, options.MaxPollTicks);
                    return;
                }
                worker.Empty = 0;
                worker.FinishAt = now + options.Tick * random.Next(options.MinWorkTicks, options.MaxWorkTicks + 1);
                worker.NextRenew = now + options.RenewEvery;
                lock (diedAt)
                {
                    foreach (var grant in grants)
                    {
                        if (diedAt.Remove(grant.Item, out var died))
                        {
                            deathToRelease.Add(now - died);
                        }
                    }
                }
            }, cancellationToken);

            if (Interlocked.Read(ref committed) >= restartAt)
            {
                restartAt = long.MaxValue;
                Collect(silo, largest, ref bytesWritten);
                log?.Report($"tick {tick}: {committed:N0} committed; restarting the silo");
                await silo.RestartAsync(cancellationToken);
                restarts++;
            }
            if (tick % 10 == 0 || Interlocked.Read(ref committed) == options.Items)
            {
                var progress = await Job().GetProgressAsync().WaitAsync(cancellationToken);
                if (progress.Status == JobStatus.Publishing)
                {
                    // Nothing is left for workers: the world waits for the publication in real time, not in steps.
                    progress = await Job().WaitForEndAsync(TimeSpan.FromMinutes(1)).WaitAsync(cancellationToken);
                }
                if (tick % 50 == 0)
                {
                    log?.Report($"tick {tick}: {progress.ItemsCommitted:N0}/{progress.Items:N0} committed, {progress.ItemsLeased:N0} leased, {deaths} deaths, {wall.Elapsed.TotalSeconds:F0} s");
                }
                if (progress.IsFinished)
                {
                    final = progress;
                }
            }
            clock.Advance(options.Tick);
        }
        final ??= await silo.Client.GetGrain<IJobGrain>(jobId).GetProgressAsync();
        if (final.Status == JobStatus.Publishing || final.Status == JobStatus.Running)
        {
            final = await silo.Client.GetGrain<IJobGrain>(jobId).WaitForEndAsync(TimeSpan.FromMinutes(1));
        }
        Collect(silo, largest, ref bytesWritten);
        var largestState = largest.OrderByDescending(kv => kv.Value).FirstOrDefault();
        deathToRelease.Sort();
        GC.Collect();
        return new SimulationResult
        {
            Final = final,
            ExactlyOnce = accepted.LongCount(a => a == 1),
            Duplicates = accepted.LongCount(a => a > 1),
            Missing = accepted.LongCount(a => a == 0),
            Published = silo.Probes.Published.GetValueOrDefault(jobId, -1),
            Deaths = deaths,
            Restarts = restarts,
            MessagesPerItem = (double)silo.Calls.Total / options.Items,
            Calls = silo.Calls.Calls.ToDictionary(kv => kv.Key, kv => kv.Value),
            LargestState = (largestState.Key ?? "", largestState.Value),
            StateBytesWritten = bytesWritten,
            LongestDeathToRelease = deathToRelease.Count > 0 ? deathToRelease[^1] : TimeSpan.Zero,
            MedianDeathToRelease = deathToRelease.Count > 0 ? deathToRelease[deathToRelease.Count / 2] : TimeSpan.Zero,
            Released = deathToRelease.Count,
            VirtualTime = clock.GetUtcNow() - started,
            WallTime = wall.Elapsed,
            PeakWorkingSet = Process.GetCurrentProcess().PeakWorkingSet64,
            ManagedHeapAtEnd = GC.GetTotalMemory(forceFullCollection: true),
        };
    }

    private static void Collect(KernelSilo silo, Dictionary<string, long> largest, ref long bytesWritten)
    {
        var statistics = silo.Storage.Statistics;
        bytesWritten += statistics.BytesWritten;
        foreach (var (state, bytes) in statistics.LargestByState)
        {
            var name = state.StartsWith("segment-d", StringComparison.Ordinal) ? "segment delta" : state;
            largest[name] = Math.Max(largest.GetValueOrDefault(name), bytes);
        }
    }

    /// <summary>Runs <paramref name="body"/> over <paramref name="items"/>, <paramref name="concurrency"/> at a time; a call the restarting silo does not answer is skipped (tried again next step).</summary>
    private static Task ForEachAsync<T>(IEnumerable<T> items, int concurrency, Func<T, Task> body, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(items, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (item, _) =>
        {
            try
            {
                await body(item);
            }
            catch (Exception e) when (e is TimeoutException or OrleansException or Orleans.Serialization.SerializerException)
            {
            }
        });

    private sealed class SimWorker(int id, int incarnation)
    {
        public int Id { get; } = id;

        public int Incarnation { get; } = incarnation;

        public WorkerRef Ref { get; } = new($"sim-{id}", incarnation.ToString(System.Globalization.CultureInfo.InvariantCulture));

        public bool Alive { get; set; } = true;

        public List<LeaseGrant> Held { get; } = [];

        public DateTimeOffset FinishAt { get; set; }

        public DateTimeOffset NextRenew { get; set; }

        public int NextPoll { get; set; }

        public int Empty { get; set; }
    }
}
