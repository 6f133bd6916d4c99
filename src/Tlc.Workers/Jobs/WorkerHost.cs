using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Workers;

/// <summary>
/// A worker, written once for every job kind: joins the cluster as a client, reports liveness, polls the work queue,
/// leases items of the kinds it has an executor for (<see cref="IItemExecutor"/>: metrics shards, import chunks, …) —
/// a few ahead, so the next item starts without a round trip — works on each while renewing its lease, and commits the
/// result with an operation id while the next item is already running (retried with the same id when the cluster does
/// not answer, so a retry has one effect). A lost lease cancels the work; a failure is reported so the item is retried
/// elsewhere, or fails at once when the executor calls it permanent. Draining (asked through the registry, or on stop)
/// gives back the leases fetched ahead, finishes the items being worked on, and takes no new ones.
/// </summary>
public sealed partial class WorkerHost
{
    private readonly ClusterContext _context;
    private readonly IShardExecutor? _shardExecutor;
    private IReadOnlyList<IItemExecutor>? _executors;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, JobSpec> _specs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _notBefore = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _emptyAnswers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Counters> _counters = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _demand = new(0);
    private volatile bool _draining;
    private long _lastHeartbeatTicks;

    /// <summary>A worker with the built-in kinds: metrics shards computed by <paramref name="executor"/>, and import chunks.</summary>
    public WorkerHost(ClusterContext context, IShardExecutor executor, WorkerOptions? options = null, ILogger? logger = null)
        : this(context, options, logger)
    {
        _shardExecutor = executor ?? throw new ArgumentNullException(nameof(executor));
    }

    /// <summary>A worker running the kinds of <paramref name="executors"/> (one per kind).</summary>
    public WorkerHost(ClusterContext context, IEnumerable<IItemExecutor> executors, WorkerOptions? options = null, ILogger? logger = null)
        : this(context, options, logger)
    {
        ArgumentNullException.ThrowIfNull(executors);
        _executors = [.. executors];
        if (_executors.Select(e => e.Kind).Distinct(StringComparer.Ordinal).Count() != _executors.Count)
        {
            throw new ArgumentException("One executor per job kind.", nameof(executors));
        }
    }

    private WorkerHost(ClusterContext context, WorkerOptions? options, ILogger? logger)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _options = options ?? new WorkerOptions();
        _logger = logger ?? NullLogger.Instance;
        Identity = new WorkerRef(_options.WorkerId ?? context.Identity.Id, context.Identity.Incarnation);
    }

    /// <summary>This worker's identity.</summary>
    public WorkerRef Identity { get; }

    /// <summary>When the worker registry last accepted this worker's heartbeat; null before the first.</summary>
    public DateTimeOffset? LastHeartbeat => Interlocked.Read(ref _lastHeartbeatTicks) is > 0 and var ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// True while the worker is registered: the registry accepted a heartbeat within three heartbeat intervals and the
    /// worker does not drain.
    /// </summary>
    public bool IsRegistered => !_draining && LastHeartbeat is { } beat && _context.Time.GetUtcNow() - beat <= 3 * _options.HeartbeatInterval;

    /// <summary>Shards this worker committed (accepted, or repeats of an accepted commit).</summary>
    public long ShardsCommitted => CountersOf(JobKinds.Metrics).Committed;

    /// <summary>Shards this worker failed.</summary>
    public long ShardsFailed => CountersOf(JobKinds.Metrics).Failed;

    /// <summary>Import chunks this worker converted and committed (accepted or not).</summary>
    public long ChunksConverted => CountersOf(JobKinds.Import).Sent;

    /// <summary>Source bytes of every chunk conversion this worker started, finished or not (what it read at most): the resume-cost figure.</summary>
    public long ImportBytesStarted => Executors.OfType<ImportItemExecutor>().Sum(e => e.BytesStarted);

    /// <summary>True once the worker takes no new leases (asked through the registry, or <see cref="Drain"/>).</summary>
    public bool IsDraining => _draining;

    /// <summary>Called after a shard is computed and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ShardTask, CancellationToken, Task>? BeforeCommit { get; init; }

    /// <summary>Called after a chunk is converted and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ImportChunkTask, CancellationToken, Task>? BeforeImportCommit { get; init; }

    /// <summary>The executors, one per kind this worker runs.</summary>
    public IReadOnlyList<IItemExecutor> Executors => _executors ??=
    [
        new MetricsItemExecutor(_shardExecutor!, _context.Adapters, _options.MaxConcurrentShards) { BeforeCommit = BeforeCommit },
        new ImportItemExecutor(_context.Adapters, _options.ImportChunksAtOnce, _options.ConversionThreads) { BeforeCommit = BeforeImportCommit },
    ];

    /// <summary>
    /// Takes no new leases from now on: leases fetched ahead are given back, items being worked on finish and commit, then
    /// <see cref="RunAsync"/> returns (the graceful stop of a worker process; cancelling its token instead drops the items).
    /// </summary>
    public void Drain()
    {
        _draining = true;
        _demand.Release();
    }

    /// <summary>Runs until cancelled (or drained and idle).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var registry = _context.Client.GetGrain<IWorkerRegistryGrain>(JobKeys.Registry);
        var queue = _context.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue);
        var lanes = Executors.Select(e => new Lane(e, CountersOf(e.Kind))).ToList();
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = HeartbeatLoopAsync(registry, heartbeatStop.Token);
        var runners = lanes.SelectMany(lane => Enumerable.Range(0, lane.Executor.Slots).Select(_ => Task.Run(() => RunnerAsync(lane, cancellationToken), CancellationToken.None))).ToList();
        JobRef[]? active = null;
        Task? demand = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested && !_draining)
            {
                active ??= await Call(queue.GetActiveAsync, cancellationToken).ConfigureAwait(false);
                if (active is not null)
                {
                    // Only a list the queue gave: a call that failed (a silo died) says nothing about which jobs ended.
                    ForgetEnded(active, lanes);
                }
                var leased = 0;
                var wanting = false;
                foreach (var lane in lanes)
                {
                    var want = lane.Capacity - lane.Held;
                    if (want <= 0)
                    {
                        continue;
                    }
                    wanting = true;
                    foreach (var job in (active ?? []).Where(j => j.Kind == lane.Executor.Kind))
                    {
                        var got = await LeaseAsync(lane, job.Id, want, cancellationToken).ConfigureAwait(false);
                        leased += got;
                        want -= got;
                        if (want <= 0 || _draining)
                        {
                            break;
                        }
                    }
                }
                if (leased > 0)
                {
                    continue;
                }
                // Nothing new: wait until an item of ours ends (a slot frees up), the active jobs change (a long poll: a new
                // job starts at once) or a poll interval passes (expired leases of running jobs become available).
                // One wait on the demand semaphore at a time, kept across rounds: a wait left behind when the long poll won would
                // take the next release, and a worker whose lanes are full would then wait for a release that never comes.
                demand ??= _demand.WaitAsync(cancellationToken);
                Task<JobRef[]?>? change = wanting ? WaitForChangeAsync(queue, active, NextPoll(), cancellationToken) : null;
                try
                {
                    await (change is null ? demand : await Task.WhenAny(demand, change).ConfigureAwait(false)).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                if (demand.IsCompleted)
                {
                    demand = null;
                }
                if (change is { IsCompletedSuccessfully: true })
                {
                    active = change.Result ?? active;
                }
                else if (wanting)
                {
                    // A slot freed up while the long poll runs: it ends on its own; ask the queue afresh next time we are idle.
                    active = null;
                }
            }
        }
        finally
        {
            foreach (var lane in lanes)
            {
                lane.Ready.Writer.TryComplete();
            }
            await Task.WhenAll(runners).ConfigureAwait(false);
            await Task.WhenAll(lanes.SelectMany(l => l.Commits.Keys)).ConfigureAwait(false);
            await heartbeatStop.CancelAsync().ConfigureAwait(false);
            await heartbeat.ConfigureAwait(false);
            try
            {
                await registry.UnregisterAsync(Identity).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (TransientClusterErrors.IsTransient(e) || e is OperationCanceledException)
            {
                // The registry forgets silent workers anyway.
            }
        }
    }

    private void ForgetEnded(JobRef[] active, List<Lane> lanes)
    {
        foreach (var ended in _specs.Keys.Except(active.Select(j => j.Id)).ToList())
        {
            var kind = _specs[ended].Kind;
            _specs.Remove(ended);
            _notBefore.Remove(ended);
            _emptyAnswers.Remove(ended);
            foreach (var lane in lanes.Where(l => l.Executor.Kind == kind))
            {
                lane.Executor.Forget(ended);
            }
        }
    }

    /// <summary>How long an idle worker waits before asking its jobs again: until the first of them can grant a lease, within [PollInterval, MaxPollInterval].</summary>
    private TimeSpan NextPoll()
    {
        var now = _context.Time.GetUtcNow();
        var soonest = _notBefore.Count > 0 ? _notBefore.Values.Min() - now : _options.PollInterval;
        return TimeSpan.FromTicks(Math.Clamp(soonest.Ticks, _options.PollInterval.Ticks, _options.MaxPollInterval.Ticks));
    }

    /// <summary>The active jobs once they differ from <paramref name="known"/> or a poll interval passed; null when the cluster did not answer.</summary>
    private async Task<JobRef[]?> WaitForChangeAsync(IJobQueueGrain queue, JobRef[]? known, TimeSpan wait, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var active = await Call(() => queue.WaitForChangeAsync([.. (known ?? []).Select(j => j.Id)], wait), cancellationToken).ConfigureAwait(false);
        if (active is null && watch.Elapsed < wait)
        {
            // The cluster did not answer: wait out the interval rather than asking again at once.
            await Task.Delay(wait - watch.Elapsed, cancellationToken).ConfigureAwait(false);
        }
        return active;
    }

    /// <summary>Leases up to <paramref name="max"/> items of job <paramref name="jobId"/> into the lane; returns how many.</summary>
    private async Task<int> LeaseAsync(Lane lane, string jobId, int max, CancellationToken cancellationToken)
    {
        var job = _context.Client.GetGrain<IJobGrain>(jobId);
        if (!_specs.TryGetValue(jobId, out var spec))
        {
            spec = await Call(() => job.GetSpecAsync(), cancellationToken).ConfigureAwait(false);
            if (spec is null)
            {
                return 0;
            }
            _specs[jobId] = spec;
        }
        if (_notBefore.TryGetValue(jobId, out var notBefore) && _context.Time.GetUtcNow() < notBefore)
        {
            return 0;
        }
        var batch = await Call(() => job.LeaseAsync(Identity, max), cancellationToken).ConfigureAwait(false);
        var grants = batch?.Grants ?? [];
        if (batch is { Grants.Length: 0 })
        {
            // Nothing now: ask again no sooner than a held lease can run out, backing off with each empty answer (thousands of
            // idle workers must not swamp a job's tail), never later than MaxPollInterval (an item that failed or was given
            // back is pending again at once).
            var empty = _emptyAnswers[jobId] = _emptyAnswers.GetValueOrDefault(jobId) + 1;
            var backoff = TimeSpan.FromTicks(_options.PollInterval.Ticks << Math.Min(empty - 1, 16));
            var wait = batch.Open ? (batch.RetryAfter > backoff ? batch.RetryAfter : backoff) : _options.MaxPollInterval;
            _notBefore[jobId] = _context.Time.GetUtcNow() + TimeSpan.FromTicks(Math.Clamp(wait.Ticks, _options.PollInterval.Ticks, _options.MaxPollInterval.Ticks));
        }
        else
        {
            _notBefore.Remove(jobId);
            _emptyAnswers.Remove(jobId);
        }
        // Grants come in runs from one segment: one grain reference per run (making one costs more than the commit's call).
        (int Index, IJobSegmentGrain Grain)? segment = null;
        foreach (var grant in grants)
        {
            var plan = grant.Plan ?? spec.ImpliedPlan(grant.Item);
            var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var index = JobKeys.SegmentOf(grant.Item, spec.ItemsPerSegment);
            if (segment?.Index != index)
            {
                segment = (index, _context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, index)));
            }
            var run = new ItemRun(new ItemTask(spec, plan!, grant), segment.Value.Grain, work);
            run.Renewal = RenewLoopAsync(run);
            Interlocked.Increment(ref lane.Held);
            if (plan is null)
            {
                // Cannot happen with a well-formed job; fail the item rather than the worker.
                _ = FailAsync(lane, run, new JobSpecException($"Job {spec.JobId}: {spec.ItemNoun} {grant.Item} has no plan."));
                continue;
            }
            await lane.Ready.Writer.WriteAsync(run, CancellationToken.None).ConfigureAwait(false);
        }
        return grants.Length;
    }

    /// <summary>One of a lane's slots: takes leased items in turn, works on each, and leaves its commit running.</summary>
    private async Task RunnerAsync(Lane lane, CancellationToken cancellationToken)
    {
        await foreach (var run in lane.Ready.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            if (_draining || cancellationToken.IsCancellationRequested)
            {
                await ReleaseAsync(lane, run).ConfigureAwait(false);
                continue;
            }
            await WorkAsync(lane, run, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync(Lane lane, ItemRun run, CancellationToken cancellationToken)
    {
        var task = run.Task;
        var kind = lane.Executor.Kind;
        var watch = Stopwatch.StartNew();
        TlcMetrics.ItemStarted(kind);
        ItemCommit result;
        try
        {
            result = await lane.Executor.ExecuteAsync(task, run.Work.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (run.Work.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The lease was lost (or the item committed elsewhere): someone else has it now.
            LogLeaseLost(_logger, Identity.ToString(), task.Job.JobId, task.Job.ItemNoun, task.Item, task.Lease.Attempt);
            await EndAsync(lane, run).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease expires and the item is done elsewhere.
            await EndAsync(lane, run).ConfigureAwait(false);
            return;
        }
        catch (Exception e)
        {
            await FailAsync(lane, run, e).ConfigureAwait(false);
            return;
        }
        // The slot is free for the next item while this one commits.
        Interlocked.Decrement(ref lane.Held);
        _demand.Release();
        var commit = CommitAsync(lane, run, result, watch, cancellationToken);
        lane.Commits.TryAdd(commit, 0);
        _ = commit.ContinueWith(t => lane.Commits.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task CommitAsync(Lane lane, ItemRun run, ItemCommit result, Stopwatch watch, CancellationToken cancellationToken)
    {
        var task = run.Task;
        var kind = lane.Executor.Kind;
        var discard = true;
        try
        {
            var outcome = await CommitWithRetriesAsync(() => run.Segment.CommitAsync(result), cancellationToken).ConfigureAwait(false);
            discard = outcome.Outcome is CommitOutcome.Superseded or CommitOutcome.Rejected;
            Interlocked.Increment(ref lane.Counters.Sent);
            LogCommitted(_logger, Identity.ToString(), task.Job.JobId, task.Job.ItemNoun, task.Item, task.Lease.Attempt, outcome.Outcome, result.Rows, watch.Elapsed.TotalSeconds);
            if (outcome.Outcome is CommitOutcome.Accepted or CommitOutcome.Duplicate)
            {
                Interlocked.Increment(ref lane.Counters.Committed);
                TlcMetrics.ItemDone(kind, result.Rows, watch.Elapsed);
            }
            if (outcome.Outcome == CommitOutcome.Rejected)
            {
                Interlocked.Increment(ref lane.Counters.Failed);
                var error = outcome.Reason ?? "the commit was rejected";
                LogItemFailed(_logger, null, Identity.ToString(), task.Job.JobId, task.Job.ItemNoun, task.Item, task.Lease.Attempt, error);
                await ReportAsync(run, error, permanent: false).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException || TransientClusterErrors.IsTransient(e))
        {
            // Stopping, or the cluster did not answer after every retry: whether it was accepted is unknown, so the files stay
            // (a repeat of the commit, or tlc gc, settles them).
            discard = false;
        }
        finally
        {
            TlcMetrics.ItemEnded(kind);
            await run.StopRenewingAsync().ConfigureAwait(false);
            if (discard)
            {
                await DiscardQuietlyAsync(lane, run, result).ConfigureAwait(false);
            }
        }
    }

    private async Task FailAsync(Lane lane, ItemRun run, Exception error)
    {
        var task = run.Task;
        Interlocked.Increment(ref lane.Counters.Failed);
        var permanent = lane.Executor.IsPermanent(error);
        LogItemFailed(_logger, error, Identity.ToString(), task.Job.JobId, task.Job.ItemNoun, task.Item, task.Lease.Attempt, permanent ? "permanent" : "will be retried");
        await ReportAsync(run, $"{error.GetType().Name}: {error.Message}", permanent).ConfigureAwait(false);
        await EndAsync(lane, run).ConfigureAwait(false);
    }

    private async Task ReportAsync(ItemRun run, string error, bool permanent)
    {
        try
        {
            await run.Segment.ReportFailureAsync(run.Task.Item, run.Task.Lease.Token, error, permanent).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception report) when (TransientClusterErrors.IsTransient(report))
        {
            // The lease expires instead.
        }
    }

    /// <summary>Gives back a lease fetched ahead that will not be worked on (draining, stopping).</summary>
    private async Task ReleaseAsync(Lane lane, ItemRun run)
    {
        try
        {
            await run.Segment.ReleaseAsync(run.Task.Item, run.Task.Lease.Token).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientClusterErrors.IsTransient(e))
        {
            // The lease expires instead.
        }
        await EndAsync(lane, run).ConfigureAwait(false);
    }

    private async Task EndAsync(Lane lane, ItemRun run)
    {
        TlcMetrics.ItemEnded(lane.Executor.Kind);
        await run.StopRenewingAsync().ConfigureAwait(false);
        Interlocked.Decrement(ref lane.Held);
        _demand.Release();
    }

    private async Task DiscardQuietlyAsync(Lane lane, ItemRun run, ItemCommit result)
    {
        try
        {
            await lane.Executor.DiscardAsync(run.Task, result, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // tlc gc removes what no object references.
        }
    }

    /// <summary>Commits, retrying with the same operation id while the cluster does not answer (a silo died?): a repeat has one effect.</summary>
    private async Task<CommitResult> CommitWithRetriesAsync(Func<Task<CommitResult>> commit, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await commit().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when ((attempt < _options.CommitAttempts || _context.Reachability?.Outage is not null) && TransientClusterErrors.IsTransient(e)
                && !cancellationToken.IsCancellationRequested)
            {
                // The cluster did not answer (a silo died?): the same operation id again has one effect. While no silo is
                // reached at all (it restarts), the worker waits for it rather than giving the result up.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(attempt, 5)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task RenewLoopAsync(ItemRun run)
    {
        var lease = run.Task.Lease;
        var length = lease.Deadline - _context.Time.GetUtcNow();
        var deadline = lease.Deadline;
        var interval = TimeSpan.FromTicks((long)(length.Ticks * _options.RenewFraction));
        if (interval <= TimeSpan.Zero)
        {
            interval = TimeSpan.FromMilliseconds(100);
        }
        var token = run.Renewing.Token;
        var wait = interval;
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(wait, token).ConfigureAwait(false);
                RenewOutcome outcome;
                try
                {
                    // A call stuck on a dead silo must not use up the lease: it gets one interval, then the renewal is tried again.
                    var asked = _context.Time.GetUtcNow();
                    outcome = await run.Segment.RenewAsync(run.Task.Item, lease.Token).WaitAsync(interval, token).ConfigureAwait(false);
                    deadline = asked + length;
                    wait = interval;
                }
                catch (Exception e) when (TransientClusterErrors.IsTransient(e))
                {
                    // The cluster did not answer (a silo died, the segment moves): try again soon rather than an interval later.
                    wait = TimeSpan.FromTicks(Math.Min(interval.Ticks, _options.RenewRetryDelay.Ticks));
                    LogRenewalUnanswered(_logger, Identity.ToString(), run.Task.Job.JobId, run.Task.Job.ItemNoun, run.Task.Item, lease.Attempt,
                        e.GetType().Name, wait.TotalSeconds, deadline);
                    continue;
                }
                if (outcome != RenewOutcome.Renewed)
                {
                    await run.Work.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task HeartbeatLoopAsync(IWorkerRegistryGrain registry, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    var models = _specs.Values.OfType<MetricsJobSpec>().Select(s => s.Model.Name).Distinct().ToArray();
                    var keepGoing = await registry.HeartbeatAsync(new WorkerInfo(Identity, Environment.MachineName, _options.Device, models, _draining, _context.Time.GetUtcNow()))
                        .WaitAsync(cancellationToken).ConfigureAwait(false);
                    Interlocked.Exchange(ref _lastHeartbeatTicks, _context.Time.GetUtcNow().UtcTicks);
                    if (!keepGoing)
                    {
                        Drain();
                    }
                }
                catch (Exception e) when (TransientClusterErrors.IsTransient(e))
                {
                    // Retried at the next beat.
                }
                await Task.Delay(_options.HeartbeatInterval, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<T?> Call<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (TransientClusterErrors.IsTransient(e))
        {
            return default;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return default;
        }
    }

    private Counters CountersOf(string kind)
    {
        lock (_counters)
        {
            return _counters.TryGetValue(kind, out var counters) ? counters : _counters[kind] = new Counters();
        }
    }

    /// <summary>What a worker counts per kind.</summary>
    private sealed class Counters
    {
        public long Committed;
        public long Failed;
        public long Sent;
    }

    /// <summary>A kind's items on this worker: leased ones waiting for a slot, how many are held, the commits in flight.</summary>
    private sealed class Lane(IItemExecutor executor, Counters counters)
    {
        public IItemExecutor Executor { get; } = executor;

        public Counters Counters { get; } = counters;

        public Channel<ItemRun> Ready { get; } = Channel.CreateUnbounded<ItemRun>();

        public System.Collections.Concurrent.ConcurrentDictionary<Task, byte> Commits { get; } = new();

        /// <summary>Items leased and not yet done with (waiting or being worked on).</summary>
        public int Held;

        public int Capacity => Executor.Slots + Executor.Prefetch;
    }

    /// <summary>One leased item on this worker: its task, its segment, its work's cancellation and its renewal loop.</summary>
    private sealed class ItemRun(ItemTask task, IJobSegmentGrain segment, CancellationTokenSource work)
    {
        public ItemTask Task { get; } = task;

        public IJobSegmentGrain Segment { get; } = segment;

        public CancellationTokenSource Work { get; } = work;

        public CancellationTokenSource Renewing { get; } = new();

        public Task Renewal { get; set; } = System.Threading.Tasks.Task.CompletedTask;

        public async Task StopRenewingAsync()
        {
            await Renewing.CancelAsync().ConfigureAwait(false);
            await Renewal.ConfigureAwait(false);
            Renewing.Dispose();
            Work.Dispose();
        }
    }
}
