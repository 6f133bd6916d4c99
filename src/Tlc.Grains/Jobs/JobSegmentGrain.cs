using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;
using Tlc.Cluster;
using Tlc.Diagnostics;
using Tlc.Grains.Kinds;

namespace Tlc.Grains.Jobs;

/// <summary>
/// Up to <see cref="JobSpec.ItemsPerSegment"/> items of one job under the lease/commit protocol (<see cref="LeaseProtocol"/>).
/// Reentrant: calls interleave, each changes the items in memory in one turn and then waits for the group commit that makes
/// its change durable (<see cref="GroupCommit"/>), written as a small delta of the changed items (<see cref="SegmentStore"/>).
/// Renewals too are durable before they answer (only items that outlast a third of a lease are renewed, so they are few),
/// and a restarted segment gives each lease held a short grace, once per lease term (<see cref="GraceLeases"/>). After each write
/// the segment tells its job its counts. Commits are checked by the job's kind before they are accepted.
/// </summary>
[Reentrant]
internal sealed partial class JobSegmentGrain : Grain, IJobSegmentGrain
{
    private const int MaxErrorLength = 1000;

    private readonly JobKindRegistry _kinds;
    private readonly TimeProvider _time;
    private readonly ILogger<JobSegmentGrain> _logger;
    private readonly long _epoch = (DateTime.UtcNow.Ticks / TimeSpan.TicksPerMillisecond) << 20;
    private SegmentStore _store = null!;
    private SegmentTable _table = null!;
    private GroupCommit _commit = null!;
    private JobSpec? _spec;
    private WorkItemPlan[]? _plans;
    private int _firstItem;
    private int _segment;
    private bool _cancelled;
    private long _summaries;
    private bool _pushWanted;
    private Task? _pushing;
    private Task? _creating;

    public JobSegmentGrain(JobKindRegistry kinds, [FromKeyedServices(TlcGrainNames.JobClock)] TimeProvider time, ILogger<JobSegmentGrain> logger)
    {
        _kinds = kinds;
        _time = time;
        _logger = logger;
    }

    private IJobGrain Job => GrainFactory.GetGrain<IJobGrain>(_spec!.JobId);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TlcGrainNames.Storage);
        _store = new SegmentStore(storage, this.GetGrainId());
        _table = new SegmentTable(SourceBytes);
        _commit = new GroupCommit(WriteAsync, WriteFailed);
        var (snapshot, deltas) = await _store.ReadAsync();
        if (_store.Plan is { Spec: { } spec } plan)
        {
            Adopt(spec, plan.Segment, plan.FirstItem, plan.Plans);
            _table.Load(snapshot.Items);
            _cancelled = snapshot.Cancelled;
            foreach (var delta in deltas)
            {
                _table.Replay(delta);
                _cancelled |= delta.Cancelled;
            }
            if (GraceLeases())
            {
                _commit.Changed();
                await _commit.DurableAsync();
            }
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_spec is not null && _commit.Dirty && reason.ReasonCode != DeactivationReasonCode.ApplicationError)
        {
            try
            {
                // Renewals are written lazily: keep them.
                await _commit.DurableAsync().WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogWriteFailed(_logger, e, this.GetPrimaryKeyString());
            }
        }
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    public async Task<SegmentSummary> InitAsync(JobSpec spec, int segment, int firstItem, int items, WorkItemPlan[]? plans)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (_spec is null)
        {
            // Calls interleave: the first creates the segment, any other arriving meanwhile waits for it.
            _creating ??= CreateAsync(spec, segment, firstItem, items, plans);
            await _creating;
        }
        if (_spec!.JobId != spec.JobId || _segment != segment || _firstItem != firstItem || (_spec.Leased && _table.Count != items))
        {
            throw new InvalidOperationException($"Segment {this.GetPrimaryKeyString()} exists as segment {_segment} of job {_spec.JobId} (items {_firstItem}+{_table.Count}).");
        }
        return Summary();
    }

    private async Task CreateAsync(JobSpec spec, int segment, int firstItem, int items, WorkItemPlan[]? plans)
    {
        try
        {
            if (plans is not null && (plans.Length != items || plans.Select((p, i) => p.Index != firstItem + i).Any(b => b)))
            {
                throw new ArgumentException($"Segment {segment} of job {spec.JobId}: plans must be items {firstItem}..{firstItem + items - 1} in order.", nameof(plans));
            }
            await _store.WritePlanAsync(new SegmentPlanRecord { Spec = spec, Segment = segment, FirstItem = firstItem, Plans = plans });
            Adopt(spec, segment, firstItem, plans);
            _table.Add(items);
            _commit.Changed();
            await _commit.DurableAsync();
        }
        finally
        {
            _creating = null;
        }
    }

    public async Task<SegmentLeases> LeaseAsync(WorkerRef worker, int max)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (_spec is not { Leased: true } spec || _cancelled || max <= 0)
        {
            return new SegmentLeases([], Summary());
        }
        var now = _time.GetUtcNow();
        var grants = new List<LeaseGrant>();
        var changed = false;
        foreach (var position in _table.Candidates(max, now))
        {
            var wasLeased = _table[position].Lease.Status == WorkStatus.Leased;
            var grant = _table.Change(position, item =>
                LeaseProtocol.TryLease(item.Lease, _firstItem + position, worker, now, spec.LeaseDuration, spec.MaxAttempts));
            changed = true;
            if (wasLeased)
            {
                TlcMetrics.LeaseExpired(spec.Kind);
                LogLeaseExpired(_logger, spec.JobId, spec.ItemNoun, _firstItem + position, _table[position].Lease.Errors[^1]);
            }
            if (grant is null)
            {
                continue;
            }
            if (grant.Attempt > 1)
            {
                TlcMetrics.Retried(spec.Kind);
            }
            grants.Add(_plans is { } plans ? grant with { Plan = plans[position] } : grant);
        }
        if (changed)
        {
            _commit.Changed();
            await _commit.DurableAsync();
        }
        return new SegmentLeases([.. grants], Summary());
    }

    public async Task<RenewOutcome> RenewAsync(int item, string token)
    {
        if (_spec is null || _cancelled || Position(item) is not { } position)
        {
            return RenewOutcome.Lost;
        }
        var lease = _table[position].Lease;
        if (lease.Status != WorkStatus.Leased || lease.Token != token)
        {
            return LeaseProtocol.Renew(lease, token, _time.GetUtcNow(), _spec.LeaseDuration);
        }
        var outcome = _table.Change(position, i => LeaseProtocol.Renew(i.Lease, token, _time.GetUtcNow(), _spec.LeaseDuration));
        // Durable before it answers: after a crash the deadline on disk is the last one a holder was told (a renewal written
        // lazily left a stale deadline, and the grace that made up for it could not tell a dead holder's long-expired lease
        // from a live one's). A renewal that clears a grace's mark writes that too.
        _commit.Changed();
        await _commit.DurableAsync();
        return outcome;
    }

    public async Task<CommitResult> CommitAsync(ItemCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (_spec is not { } spec || Position(commit.Item) is not { } position)
        {
            return new CommitResult(CommitOutcome.Rejected, $"{_spec?.ItemNoun ?? "item"} {commit.Item} is not an item of {this.GetPrimaryKeyString()}");
        }
        var item = _table[position];
        if (item.Lease.Status == WorkStatus.Committed)
        {
            var repeat = LeaseProtocol.Commit(item.Lease, commit.OperationId, commit.Attempt);
            if (repeat == CommitOutcome.Duplicate)
            {
                // A retry after a timeout: answer once the first is durable.
                await _commit.DurableAsync();
            }
            return new CommitResult(repeat);
        }
        if (_cancelled)
        {
            return new CommitResult(CommitOutcome.Rejected, "the job was cancelled");
        }
        if (commit.Rows < 0 || string.IsNullOrEmpty(commit.OperationId))
        {
            return new CommitResult(CommitOutcome.Rejected, $"{spec.ItemNoun} {commit.Item}: a commit needs an operation id and rows ≥ 0");
        }
        var plan = _plans?[position] ?? spec.ImpliedPlan(commit.Item);
        if (_kinds.Get(spec.Kind).Validate(spec, plan, commit) is { } problem)
        {
            LogCommitRejected(_logger, spec.JobId, spec.ItemNoun, commit.Item, problem);
            return new CommitResult(CommitOutcome.Rejected, $"{spec.ItemNoun} {commit.Item}: {problem}");
        }
        var outcome = _table.Change(position, i =>
        {
            var result = LeaseProtocol.Commit(i.Lease, commit.OperationId, commit.Attempt);
            if (result == CommitOutcome.Accepted)
            {
                i.Commit = commit;
            }
            return result;
        });
        if (outcome != CommitOutcome.Accepted)
        {
            return new CommitResult(outcome, outcome == CommitOutcome.Rejected ? $"{spec.ItemNoun} {commit.Item}: attempt {commit.Attempt} was never granted" : null);
        }
        _commit.Changed();
        await _commit.DurableAsync();
        TlcMetrics.ItemCommitted(spec.Kind);
        return new CommitResult(CommitOutcome.Accepted);
    }

    public async Task ReportFailureAsync(int item, string token, string error, bool permanent)
    {
        if (_spec is not { } spec || Position(item) is not { } position)
        {
            return;
        }
        var text = error.Length > MaxErrorLength ? error[..MaxErrorLength] + "…" : error;
        if (_table.Change(position, i => LeaseProtocol.ReportFailure(i.Lease, token, text, spec.MaxAttempts, permanent)))
        {
            LogAttemptFailed(_logger, spec.JobId, spec.ItemNoun, item, _table[position].Lease.Attempt, permanent, text);
            _commit.Changed();
            await _commit.DurableAsync();
            await TellJobAsync();
        }
    }

    public async Task ReleaseAsync(int item, string token)
    {
        if (_spec is null || Position(item) is not { } position)
        {
            return;
        }
        if (_table.Change(position, i => LeaseProtocol.Release(i.Lease, token)))
        {
            _commit.Changed();
            await _commit.DurableAsync();
            await TellJobAsync();
        }
    }

    public async Task AddOwnedAsync(int item, WorkerRef owner, int part)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (_spec is not { Leased: false } spec)
        {
            throw new InvalidOperationException($"Segment {this.GetPrimaryKeyString()} holds no items owned by writers.");
        }
        var position = item - _firstItem;
        if (position < _table.Count)
        {
            if (position < 0 || _table[position].Lease.Holder != owner || _table[position].Lease.Part != part)
            {
                throw new InvalidOperationException($"{spec.ItemNoun} {item} of job {spec.JobId} exists, owned by {_table[Math.Max(0, position)].Lease.Holder} as part {_table[Math.Max(0, position)].Lease.Part}.");
            }
            await _commit.DurableAsync();
            return;
        }
        if (position != _table.Count || position >= spec.ItemsPerSegment)
        {
            throw new InvalidOperationException($"{spec.ItemNoun} {item} of job {spec.JobId} cannot follow {_firstItem + _table.Count - 1} in segment {_segment}.");
        }
        if (_cancelled)
        {
            throw new InvalidOperationException($"Job {spec.JobId} was cancelled: it takes no more {spec.ItemNoun}s.");
        }
        _table.Add(1);
        _table.Change(position, i =>
        {
            LeaseProtocol.Own(i.Lease, owner, part);
            return true;
        });
        _commit.Changed();
        await _commit.DurableAsync();
    }

    public async Task<SegmentSummary> ResetFailedAsync()
    {
        if (_spec is null)
        {
            return Summary();
        }
        var changed = false;
        for (var position = 0; position < _table.Count; position++)
        {
            if (_table[position].Lease.Status == WorkStatus.Failed)
            {
                _table.Change(position, i =>
                {
                    LeaseProtocol.Reset(i.Lease);
                    return true;
                });
                changed = true;
            }
        }
        if (changed)
        {
            _commit.Changed();
            await _commit.DurableAsync();
        }
        return Summary();
    }

    public async Task CancelAsync()
    {
        if (_spec is null || _cancelled)
        {
            return;
        }
        _cancelled = true;
        _commit.Changed();
        await _commit.DurableAsync();
    }

    public Task<SegmentSummary> GetSummaryAsync()
    {
        if (_spec is null || (_spec.Leased && _table.Count > 0 && _table.Committed == _table.Count && !_commit.Dirty))
        {
            // Read on a job's activation: a segment never created, or done, need not stay in memory.
            DeactivateOnIdle();
        }
        return Task.FromResult(Summary());
    }

    public async Task<ItemInfo[]> GetItemsAsync()
    {
        if (_spec is null)
        {
            return [];
        }
        // Only what is durable is read: a change whose write is in flight is waited for.
        await _commit.DurableAsync();
        var items = new ItemInfo[_table.Count];
        for (var position = 0; position < items.Length; position++)
        {
            var item = _table[position];
            items[position] = new ItemInfo(_firstItem + position, LeaseStates.Copy(item.Lease), item.Commit);
        }
        if (_table.Pending == 0 && _table.Leased == 0 && !_commit.Dirty)
        {
            // Read by publication or clean-up, a segment at a time: nothing will change here, so it need not stay in memory
            // (a job of 10^7 items would otherwise hold all of them once published).
            DeactivateOnIdle();
        }
        return items;
    }

    public Task<string[]> GetErrorsAsync(int max)
    {
        var errors = new List<string>();
        for (var position = 0; position < _table.Count && errors.Count < max; position++)
        {
            var lease = _table[position].Lease;
            if (lease.Status == WorkStatus.Failed)
            {
                errors.AddRange(lease.Errors.Select(e => $"{_spec!.ItemNoun} {_firstItem + position}: {e}"));
            }
        }
        return Task.FromResult(errors.Take(max).ToArray());
    }

    public Task<string[]> GetHistoryAsync(int max)
    {
        var history = new List<string>();
        for (var position = 0; position < _table.Count && history.Count < max; position++)
        {
            history.AddRange(_table[position].Lease.Errors.Select(e => $"{_spec!.ItemNoun} {_firstItem + position}: {e}"));
        }
        return Task.FromResult(history.Take(max).ToArray());
    }

    private void Adopt(JobSpec spec, int segment, int firstItem, WorkItemPlan[]? plans)
    {
        _spec = spec;
        _segment = segment;
        _firstItem = firstItem;
        _plans = plans;
    }

    private long SourceBytes(int position) => _plans?[position].SourceBytes ?? 0;

    private int? Position(int item)
    {
        var position = item - _firstItem;
        return position >= 0 && position < _table.Count ? position : null;
    }

    /// <summary>
    /// After a restart a lease held gets up to half a lease period more, so a live holder whose renewals failed while its
    /// segment had no silo (it retries every second) renews once the segment answers again: its deadline becomes the
    /// earlier of half a lease from now and half a lease past the deadline on disk. Bounded by the deadline on disk, a
    /// dead holder's lease, expired long before the segment was activated again, is not pushed back past that. Once per
    /// lease term: a lease pushed back and not renewed since is not pushed back again (the mark is written with it), so a
    /// dead holder's lease runs out even while silos keep failing. Returns whether a lease changed.
    /// </summary>
    private bool GraceLeases()
    {
        var now = _time.GetUtcNow();
        var grace = _spec!.LeaseDuration / 2;
        var changed = false;
        for (var position = 0; position < _table.Count; position++)
        {
            if (_table[position].Lease is { Status: WorkStatus.Leased, Graced: false } lease
                && lease.Deadline < now + grace && Min(now + grace, lease.Deadline + grace) is var until && until > now)
            {
                _table.Change(position, i =>
                {
                    i.Lease.Deadline = until;
                    i.Lease.Graced = true;
                    return true;
                });
                changed = true;
            }
        }
        return changed;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private SegmentSummary Summary() => new()
    {
        Segment = _segment,
        Version = _epoch + ++_summaries,
        Items = _table.Count,
        Pending = _cancelled ? 0 : _table.Pending,
        Leased = _table.Leased,
        Committed = _table.Committed,
        Failed = _table.Failed,
        EarliestDeadline = _table.EarliestDeadline,
        RowsCommitted = _table.Rows,
        BytesCommitted = _table.Bytes,
        Expirations = _table.Expirations,
        Retries = _table.Retries,
        Problems = _table.Problems,
        Initialised = _spec is not null,
    };

    /// <summary>The group commit's write: a delta of the changed items, or a snapshot when one is due; then the job hears of it.</summary>
    private async Task WriteAsync()
    {
        var positions = _table.TakeChanged();
        try
        {
            if (_store.SnapshotDue(_table.Count))
            {
                await _store.WriteSnapshotAsync(_table.CopyAll(), _cancelled);
            }
            else
            {
                var items = new SegmentItem[positions.Length];
                for (var i = 0; i < positions.Length; i++)
                {
                    items[i] = _table[positions[i]].Copy();
                }
                await _store.WriteDeltaAsync(new SegmentDelta { Count = _table.Count, Positions = positions, Items = items, Cancelled = _cancelled });
            }
        }
        catch
        {
            _table.Remark(positions);
            throw;
        }
        PushSummary();
    }

    private void WriteFailed(Exception error)
    {
        // Memory is ahead of storage now (or another activation wrote first): start over from storage.
        LogWriteFailed(_logger, error, this.GetPrimaryKeyString());
        DeactivateOnIdle();
    }

    /// <summary>
    /// Tells the job at once, before answering, when an item is pending again (a failure, a lease given back) or failed for
    /// good: the next lease request anywhere sees it. (Other changes are reported after their write, without waiting.)
    /// </summary>
    private async Task TellJobAsync()
    {
        try
        {
            await Job.SegmentChangedAsync(Summary());
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            PushSummary();
            LogReportFailed(_logger, e, this.GetPrimaryKeyString(), 1);
        }
    }

    /// <summary>Tells the job the segment's counts (one report in flight at a time, the latest counts each time; retried with back-off).</summary>
    private void PushSummary()
    {
        _pushWanted = true;
        if (_pushing is null)
        {
            _pushing = PushLoopAsync();
            if (_pushing.IsCompleted)
            {
                _pushing = null;
            }
        }
    }

    private async Task PushLoopAsync()
    {
        try
        {
            var failures = 0;
            while (_pushWanted)
            {
                _pushWanted = false;
                try
                {
                    await Job.SegmentChangedAsync(Summary());
                    failures = 0;
                }
                catch (Exception e) when (e is TimeoutException or OrleansException && failures < 20)
                {
                    failures++;
                    LogReportFailed(_logger, e, this.GetPrimaryKeyString(), failures);
                    _pushWanted = true;
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * (1 << Math.Min(failures, 6)))));
                }
            }
        }
        finally
        {
            _pushing = null;
            if (_spec is { Leased: true } && _table.Pending == 0 && _table.Leased == 0 && !_commit.Dirty)
            {
                // Nothing more will happen here but reads, and the job has heard: memory stays bounded by the segments being worked on.
                DeactivateOnIdle();
            }
        }
    }
}
