using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Workers;

/// <summary>
/// A worker: joins the cluster as a client, reports liveness, pulls shard leases from the active jobs, computes each
/// shard with an <see cref="IShardExecutor"/> while renewing its lease, checks that the result covers exactly the
/// shard's example ids (naming the first wrong id), and commits it with an operation id — retried with the same id when
/// the cluster does not answer, so a retry has one effect. A lost lease cancels the work; a failure is reported so the
/// shard is retried elsewhere. Draining (asked through the registry, or on stop) finishes current shards and takes no new ones.
/// </summary>
public sealed partial class WorkerHost
{
    private readonly Dictionary<string, ImportJobSpec> _importSpecs = new(StringComparer.Ordinal);
    private readonly ClusterContext _context;
    private readonly IShardExecutor _executor;
    private readonly WorkerOptions _options;
    private readonly ILogger _logger;
    private readonly Dictionary<string, MetricsJobSpec> _specs = new(StringComparer.Ordinal);
    private long _shardsCommitted;
    private long _shardsFailed;
    private volatile bool _draining;

    /// <summary>Creates a worker over a cluster context.</summary>
    public WorkerHost(ClusterContext context, IShardExecutor executor, WorkerOptions? options = null, ILogger? logger = null)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _executor = executor ?? throw new ArgumentNullException(nameof(executor));
        _options = options ?? new WorkerOptions();
        _logger = logger ?? NullLogger.Instance;
        Identity = new WorkerRef(_options.WorkerId ?? context.Identity.Id, context.Identity.Incarnation);
    }

    /// <summary>This worker's identity.</summary>
    public WorkerRef Identity { get; }

    /// <summary>Shards this worker committed.</summary>
    public long ShardsCommitted => Interlocked.Read(ref _shardsCommitted);

    /// <summary>Shards this worker failed.</summary>
    public long ShardsFailed => Interlocked.Read(ref _shardsFailed);

    /// <summary>True once the worker takes no new leases (asked through the registry, or <see cref="Drain"/>).</summary>
    public bool IsDraining => _draining;

    /// <summary>
    /// Takes no new leases from now on: shards being computed finish and commit, then <see cref="RunAsync"/> returns
    /// (the graceful stop of a worker process; cancelling its token instead drops the current shards).
    /// </summary>
    public void Drain() => _draining = true;

    /// <summary>Called after a shard is computed and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ShardTask, CancellationToken, Task>? BeforeCommit { get; init; }

    /// <summary>Runs until cancelled (or drained and idle).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var registry = _context.Client.GetGrain<IWorkerRegistryGrain>("default");
        var queue = _context.Client.GetGrain<IJobQueueGrain>(JobQueueKeys.Metrics);
        var importQueue = _context.Client.GetGrain<IJobQueueGrain>(JobQueueKeys.Imports);
        string[]? knownImports = null;
        using var heartbeatStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var heartbeat = HeartbeatLoopAsync(registry, heartbeatStop.Token);
        var running = new List<Task>();
        var runningImports = new List<Task>();
        string[]? known = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested && !_draining)
            {
                running.RemoveAll(t => t.IsCompleted);
                runningImports.RemoveAll(t => t.IsCompleted);
                var free = _options.MaxConcurrentShards - running.Count;
                var importFree = _options.ImportChunksAtOnce - runningImports.Count;
                var started = 0;
                if (importFree > 0)
                {
                    var activeImports = await Call(() => importQueue.GetActiveAsync(), cancellationToken).ConfigureAwait(false);
                    knownImports = activeImports;
                    if (activeImports is not null)
                    {
                        foreach (var ended in _importSpecs.Keys.Except(activeImports).ToList())
                        {
                            _importSpecs.Remove(ended);
                        }
                    }
                    foreach (var jobId in activeImports ?? [])
                    {
                        if (started >= importFree)
                        {
                            break;
                        }
                        var tasks = await LeaseImportAsync(jobId, importFree - started, cancellationToken).ConfigureAwait(false);
                        // The conversion threads are shared among the chunks converting at once (parallel parsing inside a
                        // chunk only where it is alone).
                        var parallelism = Math.Max(1, _options.ConversionThreads / Math.Max(1, runningImports.Count + tasks.Count));
                        foreach (var task in tasks)
                        {
                            runningImports.Add(Task.Run(() => ProcessImportAsync(task, parallelism, cancellationToken), CancellationToken.None));
                            started++;
                        }
                    }
                }
                var startedImports = started;
                started = 0;
                if (free > 0)
                {
                    var active = await Call(() => queue.GetActiveAsync(), cancellationToken).ConfigureAwait(false);
                    known = active;
                    if (active is not null)
                    {
                        foreach (var ended in _specs.Keys.Except(active).ToList())
                        {
                            _specs.Remove(ended);
                            _executor.Forget(ended);
                        }
                    }
                    foreach (var jobId in active ?? [])
                    {
                        if (started >= free)
                        {
                            break;
                        }
                        var tasks = await LeaseAsync(jobId, free - started, cancellationToken).ConfigureAwait(false);
                        foreach (var task in tasks)
                        {
                            running.Add(Task.Run(() => ProcessAsync(task, cancellationToken), CancellationToken.None));
                            started++;
                        }
                        if (started >= free)
                        {
                            break;
                        }
                    }
                }
                if (started == 0 && startedImports == 0)
                {
                    // Until a shard or chunk of ours ends, the active jobs change (a long poll: a new job starts at once) or a poll interval passes.
                    var poll = (free > 0 || importFree > 0) && known is not null && knownImports is not null
                        ? Task.WhenAny(WaitForChangeAsync(queue, known, cancellationToken), WaitForChangeAsync(importQueue, knownImports, cancellationToken)).Unwrap()
                        : Task.Delay(_options.PollInterval, cancellationToken);
                    var busy = running.Concat(runningImports).ToList();
                    var wait = busy.Count > 0 ? Task.WhenAny(Task.WhenAny(busy), poll) : poll;
                    try
                    {
                        await wait.ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            await Task.WhenAll(running.Concat(runningImports)).ConfigureAwait(false);
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

    private async Task WaitForChangeAsync(IJobQueueGrain queue, string[] known, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        if (await Call(() => queue.WaitForChangeAsync(known, _options.PollInterval), cancellationToken).ConfigureAwait(false) is null
            && watch.Elapsed < _options.PollInterval)
        {
            // The cluster did not answer: wait out the interval rather than asking again at once.
            await Task.Delay(_options.PollInterval - watch.Elapsed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<List<ShardTask>> LeaseAsync(string jobId, int max, CancellationToken cancellationToken)
    {
        var job = _context.Client.GetGrain<IMetricsJobGrain>(jobId);
        if (!_specs.TryGetValue(jobId, out var spec))
        {
            spec = await Call(() => job.GetSpecAsync(), cancellationToken).ConfigureAwait(false);
            if (spec is null)
            {
                return [];
            }
            _specs[jobId] = spec;
        }
        var grants = await Call(() => job.LeaseAsync(Identity, max), cancellationToken).ConfigureAwait(false) ?? [];
        return grants.Select(g => new ShardTask(spec, spec.Shards[g.Item], g,
            new Url(spec.MetricsTableUrl).Join($"chunks/shard-{g.Item:D5}-a{g.Attempt}-{g.Token[..8]}.arrow"))).ToList();
    }

    private async Task ProcessAsync(ShardTask task, CancellationToken cancellationToken)
    {
        var part = _context.Client.GetGrain<IPartGrain>($"{task.Job.JobId}/{task.Shard.Index}");
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewLoopAsync(part, task, work);
        var watch = Stopwatch.StartNew();
        TlcMetrics.ItemStarted(TlcMetrics.Metrics);
        try
        {
            var output = await _executor.ExecuteAsync(task, work.Token).ConfigureAwait(false);
            var runs = CheckIds(task, output);
            if (BeforeCommit is { } hook)
            {
                await hook(task, work.Token).ConfigureAwait(false);
            }
            var relative = $"chunks/{task.ChunkUrl.Name}";
            var commit = new PartCommit(Guid.NewGuid().ToString("N"), task.Lease.Attempt, task.Lease.Token, relative, output.Rows, output.Bytes, output.Batches, runs);
            var result = await CommitAsync(part, commit, cancellationToken).ConfigureAwait(false);
            await work.CancelAsync().ConfigureAwait(false);
            LogCommitted(_logger, Identity.ToString(), task.Job.JobId, task.Shard.Index, task.Lease.Attempt, result.Outcome, output.Rows, watch.Elapsed.TotalSeconds);
            if (result.Outcome is CommitOutcome.Accepted or CommitOutcome.Duplicate)
            {
                TlcMetrics.ItemDone(TlcMetrics.Metrics, output.Rows, watch.Elapsed);
            }
            if (result.Outcome == CommitOutcome.Rejected)
            {
                throw new InvalidOperationException(result.Reason ?? "the commit was rejected");
            }
            Interlocked.Increment(ref _shardsCommitted);
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // The lease was lost (or the shard committed elsewhere): someone else has it now.
            LogLeaseLost(_logger, Identity.ToString(), task.Job.JobId, task.Shard.Index, task.Lease.Attempt);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease expires and the shard is retried elsewhere.
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _shardsFailed);
            LogShardFailed(_logger, e, Identity.ToString(), task.Job.JobId, task.Shard.Index, task.Lease.Attempt);
            try
            {
                await part.ReportFailureAsync(task.Lease.Token, $"{e.GetType().Name}: {e.Message}").WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception report) when (TransientClusterErrors.IsTransient(report))
            {
                // The lease expires instead.
            }
        }
        finally
        {
            TlcMetrics.ItemEnded(TlcMetrics.Metrics);
            await work.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
        }
    }

    /// <summary>The shard's ids as runs, after checking they are exactly the planned ones (naming the first wrong id).</summary>
    internal static IdRun[] CheckIds(ShardTask task, ShardOutput output)
    {
        var plan = task.Shard;
        List<IdRun> runs;
        try
        {
            runs = ExampleIds.Runs(output.ExampleIds);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: {e.Message}", e);
        }
        if (output.ExampleIds.Length != output.Rows)
        {
            throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: {output.Rows} rows but {output.ExampleIds.Length} example ids.");
        }
        foreach (var id in output.ExampleIds)
        {
            if (id < plan.Start || id >= plan.End)
            {
                throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: example_id {id} is outside the shard's rows {plan.Start}..{plan.End - 1}.");
            }
        }
        if (plan.ExpectedRows == plan.End - plan.Start && output.ExampleIds.Length != plan.ExpectedRows)
        {
            var expected = plan.Start;
            foreach (var id in output.ExampleIds)
            {
                if (id != expected)
                {
                    break;
                }
                expected++;
            }
            throw new InvalidOperationException($"Shard {plan.Index} of job {task.Job.JobId}: example_id {expected} is missing.");
        }
        if (output.ExampleIds.Length != plan.ExpectedRows || ExampleIds.Digest(output.ExampleIds) != plan.IdDigest)
        {
            throw new InvalidOperationException(
                $"Shard {plan.Index} of job {task.Job.JobId}: {output.ExampleIds.Length} example ids do not match the {plan.ExpectedRows} planned ones.");
        }
        return [.. runs];
    }

    private Task<CommitResult> CommitAsync(IPartGrain part, PartCommit commit, CancellationToken cancellationToken) =>
        CommitWithRetriesAsync(() => part.CommitAsync(commit), cancellationToken);

    private Task RenewLoopAsync(IPartGrain part, ShardTask task, CancellationTokenSource work) =>
        RenewLoopAsync(() => part.RenewAsync(task.Lease.Token), task.Lease, work);

    private async Task RenewLoopAsync(Func<Task<RenewOutcome>> renew, LeaseGrant lease, CancellationTokenSource work)
    {
        var interval = TimeSpan.FromTicks((long)((lease.Deadline - _context.Time.GetUtcNow()).Ticks * _options.RenewFraction));
        if (interval <= TimeSpan.Zero)
        {
            interval = TimeSpan.FromMilliseconds(100);
        }
        try
        {
            while (!work.IsCancellationRequested)
            {
                await Task.Delay(interval, work.Token).ConfigureAwait(false);
                RenewOutcome outcome;
                try
                {
                    outcome = await renew().WaitAsync(work.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (TransientClusterErrors.IsTransient(e))
                {
                    continue;
                }
                if (outcome != RenewOutcome.Renewed)
                {
                    await work.CancelAsync().ConfigureAwait(false);
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
                    var keepGoing = await registry.HeartbeatAsync(new WorkerInfo(Identity, Environment.MachineName, _options.Device,
                        [.. _specs.Values.Select(s => s.Model.Name).Distinct()], _draining, _context.Time.GetUtcNow())).WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (!keepGoing)
                    {
                        _draining = true;
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
}
