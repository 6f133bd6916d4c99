using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Grains;

/// <summary>
/// A distributed collect_metrics job. Holds the spec (with the shard plan) and a view of each part's status, rebuilt
/// from the part grains on activation. Leases are handed out in batches; leased parts whose deadline passed are
/// reclaimed when workers ask for more (timers die with activations; workers keep asking). When every part is committed
/// the sink publishes the metrics table; a part that fails too often fails the job with its errors.
/// </summary>
internal sealed partial class MetricsJobGrain(
    [PersistentState("job", TlcGrainNames.Storage)] IPersistentState<JobState> state,
    TimeProvider time,
    ILogger<MetricsJobGrain> logger) : Grain, IMetricsJobGrain
{
    private JobState Job => state.State;
    private readonly LeasedItemsView _parts = new(TlcMetrics.Metrics);
    private bool _publishing;
    private bool _starting;

    /// <summary>Completed when the job ends (completed, failed, cancelled); replaced when a retry revives it.</summary>
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);

    private bool HasEnded => Job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is { } spec)
        {
            await RebuildViewAsync(spec);
            if (Job.Status is JobStatus.Running or JobStatus.Publishing or JobStatus.Pending && _parts.AllCommitted)
            {
                SchedulePublish();
            }
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<JobProgress> SubmitAsync(MetricsJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Job.Spec is { } existing)
        {
            if (existing.TableUrl != spec.TableUrl || existing.MetricsTableUrl != spec.MetricsTableUrl || existing.Shards.Length != spec.Shards.Length)
            {
                throw new InvalidOperationException($"Job {spec.JobId} exists with another spec.");
            }
            return Progress();
        }
        if (spec.Shards.Length == 0)
        {
            throw new ArgumentException($"Job {spec.JobId} has no shards.", nameof(spec));
        }
        Job.Spec = spec;
        Job.Status = JobStatus.Pending;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<ISinkGrain>(spec.JobId).InitAsync(new SinkSpec(spec.JobId, spec.MetricsTableUrl, spec.OutputSchemaJson,
            spec.TableUrl, spec.TableObjectId, spec.TableRows, spec.RunKey, spec.StreamName, spec.ConstantsJson, spec.Shards.Length,
            RequireFullCoverage: !spec.ExcludeZeroWeights));
        await Task.WhenAll(spec.Shards.Select(plan =>
            GrainFactory.GetGrain<IPartGrain>(TlcGrainNames.PartKey(spec.JobId, plan.Index)).InitAsync(spec.JobId, plan, spec.MaxAttempts, spec.LeaseDuration)));
        _parts.Reset(spec.Shards.Length);
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.Default).EnqueueAsync(spec.JobId);
        LogSubmitted(logger, spec.JobId, spec.TableUrl, spec.Shards.Length, spec.Shards.Sum(s => s.ExpectedRows));
        return Progress();
    }

    public Task<MetricsJobSpec?> GetSpecAsync() => Task.FromResult(Job.Spec);

    public async Task<LeaseGrant[]> LeaseAsync(WorkerRef worker, int max)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (Job.Spec is not { } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running) || max <= 0)
        {
            return [];
        }
        var now = time.GetUtcNow();
        var grants = await _parts.LeaseAsync(max, now, index => Part(spec, index).TryLeaseAsync(worker), async index =>
        {
            // Refused: the part's own state disagreed with the view (or it failed on expiry).
            var info = await Part(spec, index).GetAsync();
            return (info.Lease, info.Commit?.Rows ?? 0, null);
        });
        if (grants.Count > 0 && Job.Status == JobStatus.Pending && !_starting)
        {
            // One interleaved request records the start; the others go on.
            _starting = true;
            Job.Status = JobStatus.Running;
            Job.Started = now;
            await state.WriteStateAsync();
        }
        await CheckFailedAsync();
        return [.. grants];
    }

    public async Task PartChangedAsync(int index, WorkStatus status, long rows)
    {
        if (Job.Spec is null || index < 0 || index >= _parts.Count)
        {
            return;
        }
        _parts.Apply(index, status, status == WorkStatus.Leased ? _parts.DeadlineOf(index) : default, rows);
        if (status == WorkStatus.Failed)
        {
            await CheckFailedAsync();
        }
        else if (status == WorkStatus.Committed && Job.Status is JobStatus.Running or JobStatus.Pending && _parts.AllCommitted)
        {
            SchedulePublish();
        }
    }

    public Task<JobProgress> GetProgressAsync() => Task.FromResult(Progress());

    public async Task<JobProgress> WaitForEndAsync(TimeSpan maxWait)
    {
        if (!HasEnded && maxWait > TimeSpan.Zero)
        {
            await Task.WhenAny(_ended.Task, Task.Delay(maxWait < LongestWait ? maxWait : LongestWait, time));
        }
        return Progress();
    }

    public async Task<JobProgress> CancelAsync()
    {
        if (Job.Spec is not { } spec || Job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled)
        {
            return Progress();
        }
        Job.Status = JobStatus.Cancelled;
        Job.Finished = time.GetUtcNow();
        await state.WriteStateAsync();
        await Task.WhenAll(Enumerable.Range(0, _parts.Count).Select(i => Part(spec, i).CancelAsync()));
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.Default).RemoveAsync(spec.JobId);
        LogFinished(logger, spec.JobId, Job.Status, null);
        TlcMetrics.JobEnded(TlcMetrics.Metrics, Job.Status, Job.Started, Job.Finished);
        _ended.TrySetResult();
        return Progress();
    }

    public async Task<JobProgress> RetryAsync()
    {
        if (Job.Spec is not { } spec || Job.Status != JobStatus.Failed)
        {
            return Progress();
        }
        await Task.WhenAll(_parts.IndexesOf(WorkStatus.Failed).Select(i => Part(spec, i).ResetAsync()));
        await RebuildViewAsync(spec);
        Job.Status = _parts.AllCommitted ? JobStatus.Publishing : JobStatus.Running;
        if (_ended.Task.IsCompleted)
        {
            _ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Job.Errors.Clear();
        Job.Finished = null;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.Default).EnqueueAsync(spec.JobId);
        if (Job.Status == JobStatus.Publishing)
        {
            SchedulePublish();
        }
        return Progress();
    }

    private IPartGrain Part(MetricsJobSpec spec, int index) => GrainFactory.GetGrain<IPartGrain>(TlcGrainNames.PartKey(spec.JobId, index));

    private async Task RebuildViewAsync(MetricsJobSpec spec)
    {
        var infos = await Task.WhenAll(Enumerable.Range(0, spec.Shards.Length).Select(i => Part(spec, i).GetAsync()));
        _parts.Rebuild([.. infos.Select(i => (i.Lease, i.Commit?.Rows ?? 0, (string?)null))]);
    }

    private async Task CheckFailedAsync()
    {
        if (Job.Spec is not { } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running) || _parts.Failed == 0)
        {
            return;
        }
        var infos = await Task.WhenAll(_parts.IndexesOf(WorkStatus.Failed).Select(i => Part(spec, i).GetAsync()));
        Job.Errors = infos.SelectMany(i => i.Lease.Errors.Select(e => $"shard {i.Index}: {e}")).ToList();
        await FinishAsync(JobStatus.Failed);
    }

    private void SchedulePublish()
    {
        if (_publishing)
        {
            return;
        }
        _publishing = true;
        // Publish in a turn of its own, not inside the part grain's call that reported the last commit.
        this.RegisterGrainTimer(PublishAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is not { } spec || Job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled)
        {
            return;
        }
        Job.Status = JobStatus.Publishing;
        await state.WriteStateAsync(cancellationToken);
        try
        {
            Job.MetricsTableUrl = await GrainFactory.GetGrain<ISinkGrain>(spec.JobId).PublishAsync();
            await FinishAsync(JobStatus.Completed);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException)
        {
            Job.Errors = [e.Message];
            await FinishAsync(JobStatus.Failed);
        }
        finally
        {
            _publishing = false;
        }
    }

    private async Task FinishAsync(JobStatus status)
    {
        Job.Status = status;
        Job.Finished = time.GetUtcNow();
        TlcMetrics.JobEnded(TlcMetrics.Metrics, status, Job.Started, Job.Finished);
        await state.WriteStateAsync();
        _ended.TrySetResult();
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.Default).RemoveAsync(Job.Spec!.JobId);
        LogFinished(logger, Job.Spec.JobId, status, Job.Errors.FirstOrDefault());
    }

    private JobProgress Progress()
    {
        var spec = Job.Spec;
        var rows = spec?.Shards.Sum(s => s.ExpectedRows) ?? 0;
        var committedRows = _parts.CommittedRows;
        var now = time.GetUtcNow();
        var elapsed = Job.Started is { } started ? ((Job.Finished ?? now) - started).TotalSeconds : 0;
        var rate = elapsed > 0 ? committedRows / elapsed : 0;
        return new JobProgress
        {
            JobId = spec?.JobId ?? this.GetPrimaryKeyString(),
            Status = Job.Status,
            Shards = _parts.Count,
            ShardsCommitted = _parts.Committed,
            ShardsLeased = _parts.CountOf(WorkStatus.Leased),
            ShardsFailed = _parts.Failed,
            Rows = rows,
            RowsCommitted = committedRows,
            RowsPerSecond = rate,
            Eta = rate > 0 && committedRows < rows ? TimeSpan.FromSeconds((rows - committedRows) / rate) : null,
            MetricsTableUrl = Job.MetricsTableUrl,
            Errors = [.. Job.Errors],
            Submitted = spec?.Submitted ?? default,
            Finished = Job.Finished,
            RunKey = spec?.RunKey ?? "",
            LeaseExpirations = _parts.Expirations,
            Retries = _parts.Retries,
        };
    }
}
