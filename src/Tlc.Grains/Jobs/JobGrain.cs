using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Diagnostics;
using Tlc.Grains.Kinds;
using Tlc.Tables.Urls;

namespace Tlc.Grains.Jobs;

/// <summary>
/// A job of any kind: spec, status, result, and a view of its segments (<see cref="SegmentRouter"/>) rebuilt from their
/// summaries on activation — one read per segment, never per item. Leases are routed to segments with work, in batches;
/// expired leases are reclaimed when workers ask for more (timers die with activations; workers keep asking). When every
/// item is committed the kind publishes the result in a turn of its own; an item that fails too often (or for good) fails
/// the job with its errors. What differs per kind sits behind <see cref="IJobKind"/>.
/// </summary>
internal sealed partial class JobGrain : Grain, IJobGrain
{
    private const int ReadBatch = 512;
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);

    private readonly IPersistentState<JobState> _state;
    private readonly JobKindRegistry _kinds;
    private readonly UrlAdapterRegistry _adapters;
    private readonly TimeProvider _time;
    private readonly ILogger<JobGrain> _logger;
    private readonly SegmentRouter _router = new();
    private readonly Dictionary<int, Task<SegmentSummary?>> _creating = [];
    private readonly GroupCommit _writes;
    private bool _publishing;
    private int _publishFailures;
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobGrain(
        [PersistentState("job", TlcGrainNames.Storage)] IPersistentState<JobState> state,
        JobKindRegistry kinds,
        UrlAdapterRegistry adapters,
        [FromKeyedServices(TlcGrainNames.JobClock)] TimeProvider time,
        ILogger<JobGrain> logger)
    {
        _state = state;
        _kinds = kinds;
        _adapters = adapters;
        _time = time;
        _logger = logger;
        // One state write at a time, however many interleaved calls change the state.
        _writes = new GroupCommit(() => _state.WriteStateAsync(), _ => DeactivateOnIdle());
    }

    private JobState Job => _state.State;

    private bool HasEnded => Job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;

    private IJobQueueGrain Queue => GrainFactory.GetGrain<IJobQueueGrain>(JobKeys.Queue);

    private IJobSegmentGrain Segment(JobSpec spec, int segment) => GrainFactory.GetGrain<IJobSegmentGrain>(JobKeys.Segment(spec.JobId, segment));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is { } spec)
        {
            if (Job.Status != JobStatus.Planning)
            {
                await LoadSegmentsAsync(spec);
            }
            else
            {
                _router.Reset(spec.SegmentsFor(Job.Items), s => SizeOf(spec, s));
            }
            if (!spec.Leased && !HasEnded)
            {
                // Items are added to a segment before the job counts them: the segments are the truth after a crash. An item
                // added just before it is its owner's last part (a repeat of that add must answer it).
                if (_router.Items > Job.Items)
                {
                    await RecoverLastPartsAsync(spec, Job.Items, _router.Items);
                }
                Job.Items = _router.Items;
            }
            if (HasEnded)
            {
                _ended.TrySetResult();
                LingerThenDeactivate();
            }
            else if (Job.Status == JobStatus.Publishing
                || (Job.Status is JobStatus.Pending or JobStatus.Running && ((spec.Leased && _router.AllCommitted) || Job.AllWritersClosed)))
            {
                SchedulePublish();
            }
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<JobProgress> SubmitAsync(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        _kinds.Get(spec.Kind);
        if (Job.Spec is { } existing)
        {
            if (existing.Kind != spec.Kind || existing.Items != spec.Items || existing.Describe() != spec.Describe())
            {
                throw new InvalidOperationException($"Job {spec.JobId} exists as another job ({existing.Describe()}).");
            }
            return Progress();
        }
        var segments = spec.SegmentsFor(spec.Items);
        Job.Spec = spec;
        Job.Items = spec.Items;
        Job.Status = spec.ExplicitPlans && spec.Leased ? JobStatus.Planning : JobStatus.Pending;
        Job.Planned = new byte[(segments + 7) / 8];
        Job.Writers = [.. Enumerable.Range(0, spec.Writers).Select(_ => new WriterShare())];
        _writes.Changed();
        await _writes.DurableAsync();
        _router.Reset(segments, s => SizeOf(spec, s));
        await Queue.EnqueueAsync(new JobRef(spec.JobId, spec.Kind), needsWorkers: spec.Leased && Job.Status == JobStatus.Pending);
        LogSubmitted(_logger, spec.JobId, spec.Kind, spec.Describe(), spec.Items, segments);
        return Progress();
    }

    public async Task<JobProgress> AddPlansAsync(WorkItemPlan[] plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var spec = Job.Spec ?? throw new InvalidOperationException($"Job {this.GetPrimaryKeyString()} was not submitted.");
        if (plans.Length == 0 || plans[0].Index % spec.ItemsPerSegment != 0)
        {
            throw new ArgumentException($"Job {spec.JobId}: plans come one whole segment at a time, from an item that is a multiple of {spec.ItemsPerSegment}.", nameof(plans));
        }
        var segment = plans[0].Index / spec.ItemsPerSegment;
        if (segment >= _router.Segments || plans.Length != SizeOf(spec, segment))
        {
            throw new ArgumentException($"Job {spec.JobId}: segment {segment} has {(segment < _router.Segments ? SizeOf(spec, segment) : 0)} items, not {plans.Length}.", nameof(plans));
        }
        if (Job.Status != JobStatus.Planning || Job.IsPlanned(segment))
        {
            return Progress();
        }
        Apply(spec, await Segment(spec, segment).InitAsync(spec, segment, plans[0].Index, plans.Length, plans));
        Job.MarkPlanned(segment);
        if (Job.PlannedCount == _router.Segments)
        {
            Job.Status = JobStatus.Pending;
        }
        _writes.Changed();
        await _writes.DurableAsync();
        if (Job.Status == JobStatus.Pending)
        {
            await Queue.EnqueueAsync(new JobRef(spec.JobId, spec.Kind), needsWorkers: true);
            LogPlanned(_logger, spec.JobId, _router.Segments);
        }
        return Progress();
    }

    public Task<JobSpec?> GetSpecAsync() => Task.FromResult(Job.Spec);

    public async Task<LeaseBatch> LeaseAsync(WorkerRef worker, int max)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (Job.Spec is not { Leased: true } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            return new LeaseBatch([], TimeSpan.Zero, Open: false);
        }
        var now = _time.GetUtcNow();
        var grants = new List<LeaseGrant>();
        // A second round when the first fell short: a segment's report may have been out of date, and its answer corrected it.
        for (var round = 0; round < 2 && grants.Count < max; round++)
        {
            var routes = _router.Route(max - grants.Count, now);
            if (routes.Count == 0)
            {
                break;
            }
            grants.AddRange(await LeaseFromAsync(spec, worker, routes));
        }
        if (grants.Count > 0 && Job.Started is null)
        {
            Job.Started = now;
            Job.Status = JobStatus.Running;
            _writes.Changed();
            await _writes.DurableAsync();
        }
        await EvaluateAsync();
        return grants.Count > 0 ? new LeaseBatch([.. grants], TimeSpan.Zero, Open: true) : Nothing(_time.GetUtcNow());
    }

    private async Task<LeaseGrant[]> LeaseFromAsync(JobSpec spec, WorkerRef worker, List<(int Segment, int Count)> routes)
    {
        var answers = await Task.WhenAll(routes.Select(async route =>
        {
            try
            {
                var segment = Segment(spec, route.Segment);
                if (!_router.IsInitialised(route.Segment))
                {
                    // Created on first use (its plans are implied); requests arriving meanwhile wait for the same creation.
                    if (!_creating.TryGetValue(route.Segment, out var creating))
                    {
                        _creating[route.Segment] = creating = CreateSegmentAsync(spec, route.Segment);
                    }
                    try
                    {
                        if (await creating is not { } created)
                        {
                            return [];
                        }
                        Apply(spec, created);
                    }
                    finally
                    {
                        _creating.Remove(route.Segment);
                    }
                }
                var leases = await segment.LeaseAsync(worker, route.Count);
                Apply(spec, leases.Summary);
                return leases.Grants;
            }
            catch (Exception e) when (e is TimeoutException or OrleansException)
            {
                LogRouteFailed(_logger, e, spec.JobId, route.Segment);
                return [];
            }
            finally
            {
                _router.Release(route.Segment, route.Count);
            }
        }));
        return [.. answers.SelectMany(a => a)];
    }

    /// <summary>
    /// Creates a segment of implied plans: marked created in the job's state (durably) before the segment exists, so that
    /// activation reads exactly the segments that exist. Null when the job ended meanwhile.
    /// </summary>
    private async Task<SegmentSummary?> CreateSegmentAsync(JobSpec spec, int segment)
    {
        if (Job.MarkCreated(segment))
        {
            _writes.Changed();
            await _writes.DurableAsync();
        }
        if (Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            return null;
        }
        return await Segment(spec, segment).InitAsync(spec, segment, segment * spec.ItemsPerSegment, SizeOf(spec, segment), null);
    }

    /// <summary>No lease now: when one held runs out (asking earlier cannot help, unless an item fails or is given back).</summary>
    private LeaseBatch Nothing(DateTimeOffset now)
    {
        var earliest = _router.EarliestDeadline;
        var after = earliest == DateTimeOffset.MaxValue || earliest <= now ? TimeSpan.Zero : earliest - now;
        return new LeaseBatch([], after, Open: Job.Status is JobStatus.Pending or JobStatus.Running);
    }

    public async Task SegmentChangedAsync(SegmentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        if (Job.Spec is null)
        {
            return;
        }
        if (Apply(Job.Spec, summary))
        {
            await _writes.DurableAsync();
        }
        await EvaluateAsync();
    }

    public async Task<int> AddOwnedItemAsync(WorkerRef owner, int part)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentOutOfRangeException.ThrowIfNegative(part);
        var spec = Job.Spec ?? throw new KeyNotFoundException($"No job '{this.GetPrimaryKeyString()}'.");
        if (spec.Leased)
        {
            throw new InvalidOperationException($"Job {spec.JobId}: its {spec.ItemNoun}s are leased to workers, not added by writers.");
        }
        if (Job.LastParts.TryGetValue(owner.ToString(), out var last) && last.Part == part)
        {
            // A repeat (its answer was lost): the same item.
            return last.Item;
        }
        if (Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            throw new InvalidOperationException($"Job {spec.JobId} is {Job.Status.ToString().ToLowerInvariant()}: it takes no more {spec.ItemNoun}s.");
        }
        if (spec.Writers > 0)
        {
            CheckWriter(spec, owner);
        }
        var item = Job.Items;
        var segmentIndex = item / spec.ItemsPerSegment;
        var segment = Segment(spec, segmentIndex);
        if (item % spec.ItemsPerSegment == 0)
        {
            await segment.InitAsync(spec, segmentIndex, item, 0, null);
        }
        // The segment first: after a crash here the job recounts its items from the segments.
        await segment.AddOwnedAsync(item, owner, part);
        Job.Items = item + 1;
        Job.LastParts[owner.ToString()] = new OwnedPart(part, item);
        Job.Started ??= _time.GetUtcNow();
        Job.Status = JobStatus.Running;
        _router.Grow(spec.SegmentsFor(Job.Items), s => SizeOf(spec, s));
        _writes.Changed();
        await _writes.DurableAsync();
        return item;
    }

    public async Task<WriterOpening> OpenWriterAsync(int writer, string attempt)
    {
        ArgumentException.ThrowIfNullOrEmpty(attempt);
        var spec = Job.Spec ?? throw new KeyNotFoundException($"No job '{this.GetPrimaryKeyString()}'.");
        var share = Share(spec, writer);
        var owner = JobKeys.WriterOwner(writer, attempt);
        if (share.Closed || share.Attempt == attempt)
        {
            return new WriterOpening(JobKeys.WriterOwner(writer, share.Attempt ?? attempt), share.Closed, null);
        }
        if (Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            throw new InvalidOperationException($"Job {spec.JobId} is {Job.Status.ToString().ToLowerInvariant()}: it takes no more {spec.WriterNoun}s.");
        }
        var replaced = share.Attempt;
        share.Attempt = attempt;
        Job.Started ??= _time.GetUtcNow();
        Job.Status = JobStatus.Running;
        _writes.Changed();
        await _writes.DurableAsync();
        LogWriterOpened(_logger, spec.JobId, spec.WriterNoun, writer, attempt, replaced);
        return new WriterOpening(owner, false, replaced);
    }

    public async Task<JobProgress> CloseWriterAsync(int writer, string attempt)
    {
        ArgumentException.ThrowIfNullOrEmpty(attempt);
        var spec = Job.Spec ?? throw new KeyNotFoundException($"No job '{this.GetPrimaryKeyString()}'.");
        var share = Share(spec, writer);
        if (share.Attempt != attempt)
        {
            throw new InvalidOperationException(share.Attempt is null
                ? $"Job {spec.JobId}: {spec.WriterNoun} {writer} never opened its share."
                : $"Job {spec.JobId}: {spec.WriterNoun} {writer}'s attempt {attempt} was replaced by attempt {share.Attempt}; it cannot close the share.");
        }
        if (share.Closed)
        {
            return Progress();
        }
        if (Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            throw new InvalidOperationException($"Job {spec.JobId} is {Job.Status.ToString().ToLowerInvariant()}: {spec.WriterNoun} {writer} cannot close its share.");
        }
        share.Closed = true;
        _writes.Changed();
        await _writes.DurableAsync();
        LogWriterClosed(_logger, spec.JobId, spec.WriterNoun, writer, Job.Writers.Count(w => w.Closed), spec.Writers);
        if (Job.AllWritersClosed)
        {
            SchedulePublish();
        }
        return Progress();
    }

    private WriterShare Share(JobSpec spec, int writer)
    {
        if (spec.Writers == 0)
        {
            throw new InvalidOperationException($"Job {spec.JobId} has no {spec.WriterNoun}s' shares: its owner publishes it.");
        }
        if (writer < 0 || writer >= spec.Writers)
        {
            throw new ArgumentOutOfRangeException(nameof(writer), $"Job {spec.JobId}: {spec.WriterNoun} {writer} is not one of its {spec.Writers} (0..{spec.Writers - 1}).");
        }
        return Job.Writers[writer];
    }

    private void CheckWriter(JobSpec spec, WorkerRef owner)
    {
        if (JobKeys.WriterOf(owner) is not { } writer || writer >= spec.Writers)
        {
            throw new InvalidOperationException($"Job {spec.JobId}: {owner} is not one of its {spec.Writers} {spec.WriterNoun}s.");
        }
        var share = Job.Writers[writer];
        if (share.Attempt != owner.Incarnation)
        {
            throw new InvalidOperationException(share.Attempt is null
                ? $"Job {spec.JobId}: {spec.WriterNoun} {writer} must open its share before writing."
                : $"Job {spec.JobId}: {spec.WriterNoun} {writer}'s attempt {owner.Incarnation} is stale (replaced by attempt {share.Attempt}); it can add nothing.");
        }
        if (share.Closed)
        {
            throw new InvalidOperationException($"Job {spec.JobId}: {spec.WriterNoun} {writer} closed its share; it is final.");
        }
    }

    /// <summary>In a job of writers, an item counts when its owner is its writer's closing (current) attempt; else every item counts.</summary>
    private Func<ItemInfo, bool>? Included(JobSpec spec)
    {
        if (spec.Writers == 0)
        {
            return null;
        }
        var attempts = Job.Writers.Select(w => w.Attempt).ToArray();
        return item => JobKeys.WriterOf(item.Lease.Holder) is { } writer && writer < attempts.Length && attempts[writer] == item.Lease.Holder!.Incarnation;
    }

    public async Task<JobProgress> PublishAsync()
    {
        var spec = Job.Spec ?? throw new KeyNotFoundException($"No job '{this.GetPrimaryKeyString()}'.");
        if (spec.Leased)
        {
            throw new InvalidOperationException($"Job {spec.JobId} publishes by itself once its workers have committed every {spec.ItemNoun}.");
        }
        if (spec.Writers > 0)
        {
            throw new InvalidOperationException($"Job {spec.JobId} publishes by itself once each of its {spec.Writers} {spec.WriterNoun}s has closed its share.");
        }
        if (Job.Status is JobStatus.Failed or JobStatus.Cancelled)
        {
            throw new InvalidOperationException($"Job {spec.JobId} {Job.Status.ToString().ToLowerInvariant()}: {string.Join("; ", Job.Errors)}; nothing is published.");
        }
        if (Job.Status != JobStatus.Completed)
        {
            await ReadSummariesAsync(spec, Enumerable.Range(0, _router.Segments));
            if (!_router.AllCommitted)
            {
                var missing = await UncommittedAsync(spec, 10);
                throw new InvalidOperationException(_router.Items == 0
                    ? $"Job {spec.JobId} has no {spec.ItemNoun}s yet; nothing is published."
                    : $"Job {spec.JobId}: {spec.ItemNoun}s {string.Join(", ", missing)}{(_router.Items - _router.Committed > missing.Count ? ", …" : "")} have no commit yet; nothing is published.");
            }
            if (await PublishNowAsync(CancellationToken.None) is { } again)
            {
                // A silo went away under the publication: it is tried again in a while; the caller may ask again too.
                SchedulePublish(again);
                throw new TimeoutException($"Job {spec.JobId}: publication did not finish ({Job.Errors.LastOrDefault()}); it is tried again.");
            }
            if (Job.Status != JobStatus.Completed)
            {
                throw new InvalidOperationException($"Job {spec.JobId}: {string.Join("; ", Job.Errors)}; nothing is published.");
            }
        }
        return Progress();
    }

    public Task<JobProgress> GetProgressAsync() => Task.FromResult(Progress());

    public async Task<string[]> GetHistoryAsync(int max)
    {
        if (Job.Spec is not { Leased: true } spec || max <= 0)
        {
            return [];
        }
        var history = new List<string>();
        foreach (var s in _router.EventfulSegments().ToList())
        {
            history.AddRange(await Segment(spec, s).GetHistoryAsync(max - history.Count));
            if (history.Count >= max)
            {
                break;
            }
        }
        return [.. history];
    }

    public async Task<JobProgress> WaitForEndAsync(TimeSpan maxWait)
    {
        if (!HasEnded && maxWait > TimeSpan.Zero)
        {
            await Task.WhenAny(_ended.Task, Task.Delay(maxWait < LongestWait ? maxWait : LongestWait));
        }
        return Progress();
    }

    public async Task<JobProgress> CancelAsync()
    {
        if (Job.Spec is not { } spec || HasEnded)
        {
            return Progress();
        }
        Job.Status = JobStatus.Cancelled;
        Job.Finished = _time.GetUtcNow();
        _writes.Changed();
        await _writes.DurableAsync();
        // Sealed segments have nothing to cancel, segments never created nothing at all.
        foreach (var batch in Job.LiveSegments(spec, _router.Segments).Chunk(ReadBatch))
        {
            await Task.WhenAll(batch.Select(s => Segment(spec, s).CancelAsync()));
        }
        await DiscardAsync(spec);
        await EndAsync(spec, JobStatus.Cancelled);
        return Progress();
    }

    public async Task<JobProgress> RetryAsync()
    {
        if (Job.Spec is not { } spec || Job.Status != JobStatus.Failed || Job.FailedForGood)
        {
            return Progress();
        }
        foreach (var batch in _router.FailedSegments().ToList().Chunk(ReadBatch))
        {
            foreach (var summary in await Task.WhenAll(batch.Select(s => Segment(spec, s).ResetFailedAsync())))
            {
                Apply(spec, summary);
            }
        }
        Job.Status = _router.AllCommitted && spec.Leased ? JobStatus.Publishing : JobStatus.Running;
        Job.Errors.Clear();
        Job.Finished = null;
        if (_ended.Task.IsCompleted)
        {
            _ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        _writes.Changed();
        await _writes.DurableAsync();
        await Queue.EnqueueAsync(new JobRef(spec.JobId, spec.Kind), needsWorkers: spec.Leased);
        if (Job.Status == JobStatus.Publishing)
        {
            SchedulePublish();
        }
        LogRetried(_logger, spec.JobId);
        return Progress();
    }

    private static int SizeOf(JobSpec spec, int segment) => segment < 0 ? 0 : spec.Leased
        ? Math.Min(spec.ItemsPerSegment, spec.Items - segment * spec.ItemsPerSegment)
        : 0;

    /// <summary>
    /// Each writer's last part among items [<paramref name="from"/>, <paramref name="to"/>): those a crash left counted by
    /// their segments but not by the job (read once, at activation).
    /// </summary>
    private async Task RecoverLastPartsAsync(JobSpec spec, int from, int to)
    {
        for (var s = from / spec.ItemsPerSegment; s <= (to - 1) / spec.ItemsPerSegment; s++)
        {
            foreach (var item in await Segment(spec, s).GetItemsAsync())
            {
                if (item.Index >= from && item.Lease.Holder is { } owner)
                {
                    Job.LastParts[owner.ToString()] = new OwnedPart(item.Lease.Part, item.Index);
                }
            }
        }
    }

    /// <summary>
    /// Rebuilds the view of the segments: sealed ones from the job's own state, segments never created as all pending, and
    /// one summary read per other segment — O(segments), never O(items).
    /// </summary>
    private async Task LoadSegmentsAsync(JobSpec spec)
    {
        var segments = spec.SegmentsFor(Job.Items);
        _router.Reset(segments, s => SizeOf(spec, s));
        _router.RestoreSealed(Enumerable.Range(0, segments).Where(Job.IsSealed), Job.SealedTotals, Job.IsEventfulSealed);
        await ReadSummariesAsync(spec, Job.LiveSegments(spec, segments));
    }

    private async Task ReadSummariesAsync(JobSpec spec, IEnumerable<int> segments)
    {
        foreach (var batch in segments.Chunk(ReadBatch))
        {
            foreach (var summary in await Task.WhenAll(batch.Select(s => Segment(spec, s).GetSummaryAsync())))
            {
                Apply(spec, summary);
            }
        }
    }

    /// <summary>
    /// Takes a segment's report; seals the segment when every item of a leased job's segment is committed (nothing can change
    /// there any more). True when it sealed it: the caller makes that durable.
    /// </summary>
    private bool Apply(JobSpec spec, SegmentSummary summary)
    {
        _router.Apply(summary);
        if (!spec.Leased || !summary.Initialised || summary.Items == 0 || summary.Committed != summary.Items || summary.Segment >= _router.Segments || !Job.Seal(summary))
        {
            return false;
        }
        _writes.Changed();
        return true;
    }

    private async Task<List<int>> UncommittedAsync(JobSpec spec, int max)
    {
        var missing = new List<int>();
        for (var s = 0; s < _router.Segments && missing.Count < max; s++)
        {
            if (Job.IsSealed(s))
            {
                continue;
            }
            var items = await Segment(spec, s).GetItemsAsync();
            missing.AddRange(items.Where(i => i.Lease.Status != WorkStatus.Committed).Select(i => i.Index).Take(max - missing.Count));
        }
        return missing;
    }

    /// <summary>Fails the job when an item failed; schedules publication when every item of a leased job is committed.</summary>
    private async Task EvaluateAsync()
    {
        if (Job.Spec is not { } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running))
        {
            return;
        }
        if (_router.Failed > 0)
        {
            var errors = new List<string>();
            foreach (var s in _router.FailedSegments().Take(10))
            {
                errors.AddRange(await Segment(spec, s).GetErrorsAsync(JobState.MaxErrors - errors.Count));
            }
            if (Job.Status is JobStatus.Pending or JobStatus.Running)
            {
                Job.SetErrors(errors.Count > 0 ? errors : [$"{_router.Failed} {spec.ItemNoun}(s) failed"]);
                await FinishAsync(spec, JobStatus.Failed);
            }
        }
        else if (spec.Leased && _router.AllCommitted)
        {
            SchedulePublish();
        }
    }

    /// <summary>
    /// How long a job's grain stays in memory once the job has ended (for the clients that read its end right away); then
    /// it deactivates, and a later query activates it again from its state. 30 s.
    /// </summary>
    public static readonly TimeSpan EndedLinger = TimeSpan.FromSeconds(30);

    /// <summary>Deactivates the grain <see cref="EndedLinger"/> after the job ended: thousands of finished jobs hold no memory.</summary>
    private void LingerThenDeactivate() =>
        this.RegisterGrainTimer(_ =>
        {
            DeactivateOnIdle();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(EndedLinger, Timeout.InfiniteTimeSpan) { Interleave = false });

    /// <summary>
    /// Publications a silo's death (a timeout, an unreachable silo) may interrupt before the job fails: each is tried again
    /// after 2 s × its number (about 2 minutes in all). 10.
    /// </summary>
    public const int PublishAttempts = 10;

    private void SchedulePublish(TimeSpan? delay = null)
    {
        if (_publishing)
        {
            return;
        }
        _publishing = true;
        // In a turn of its own, not inside the segment's call that reported the last commit.
        this.RegisterGrainTimer(async ct =>
        {
            TimeSpan? again;
            try
            {
                again = await PublishNowAsync(ct);
            }
            finally
            {
                _publishing = false;
            }
            if (again is { } wait)
            {
                SchedulePublish(wait);
            }
        }, new GrainTimerCreationOptions(delay ?? TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    /// <summary>Publishes the job's result; returns when to try again after a passing failure (a silo went away), else null.</summary>
    private async Task<TimeSpan?> PublishNowAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is not { } spec || HasEnded)
        {
            return null;
        }
        Job.Status = JobStatus.Publishing;
        _writes.Changed();
        await _writes.DurableAsync();
        // No item is left to work on: workers stop asking while the result is published.
        await Queue.RemoveAsync(spec.JobId);
        var kind = _kinds.Get(spec.Kind);
        try
        {
            var result = await kind.PublishAsync(Context(spec), cancellationToken);
            // Segments report their counts after their writes, without waiting: read them now, so the finished job's
            // progress counts every row it published (a writer's last part may not have been reported yet).
            await ReadSummariesAsync(spec, Job.LiveSegments(spec, _router.Segments));
            Job.ResultUrl = result.ResultUrl;
            Job.QuarantineTableUrl = result.QuarantineTableUrl;
            Job.RowsQuarantined = result.RowsQuarantined;
            await FinishAsync(spec, JobStatus.Completed);
        }
        catch (JobRefusedException e)
        {
            Job.SetErrors(e.Errors);
            Job.FailedForGood = true;
            await DiscardAsync(spec);
            await FinishAsync(spec, JobStatus.Failed);
        }
        catch (Exception e) when (TransientClusterErrors.IsTransient(e) && ++_publishFailures < PublishAttempts)
        {
            // A silo went away (a part or the run it writes to was on it): publication is create-if-absent, so it is tried again.
            LogPublishRetry(_logger, e, spec.JobId, _publishFailures);
            return TimeSpan.FromSeconds(2 * _publishFailures);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException or TimeoutException or OrleansException)
        {
            // Perhaps passing (storage, a silo): a retry of the job publishes again, with its attempts afresh.
            _publishFailures = 0;
            Job.SetErrors([e.Message]);
            await FinishAsync(spec, JobStatus.Failed);
        }
        return null;
    }

    private async Task DiscardAsync(JobSpec spec)
    {
        try
        {
            await _kinds.Get(spec.Kind).DiscardAsync(Context(spec), CancellationToken.None);
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or TimeoutException or OrleansException)
        {
            LogCleanupFailed(_logger, e, spec.JobId);
        }
    }

    private async Task FinishAsync(JobSpec spec, JobStatus status)
    {
        Job.Status = status;
        Job.Finished = _time.GetUtcNow();
        _writes.Changed();
        await _writes.DurableAsync();
        await EndAsync(spec, status);
    }

    /// <summary>What every end shares: the metric, the waiters, the queue, the kind's clean-up, the log line.</summary>
    private async Task EndAsync(JobSpec spec, JobStatus status)
    {
        TlcMetrics.JobEnded(spec.Kind, status, Job.Started, Job.Finished);
        _ended.TrySetResult();
        LingerThenDeactivate();
        await Queue.RemoveAsync(spec.JobId);
        if (status != JobStatus.Failed || Job.FailedForGood)
        {
            try
            {
                await _kinds.Get(spec.Kind).EndedAsync(Context(spec), status, CancellationToken.None);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                LogCleanupFailed(_logger, e, spec.JobId);
            }
        }
        LogFinished(_logger, spec.JobId, spec.Kind, status, Job.Errors.FirstOrDefault());
    }

    private JobContext Context(JobSpec spec) => new(spec, Job.Items, Included(spec), GrainFactory, _adapters, _time, _logger);

    private JobProgress Progress()
    {
        var spec = Job.Spec;
        var now = _time.GetUtcNow();
        var elapsed = Job.Started is { } started ? ((Job.Finished ?? now) - started).TotalSeconds : 0;
        var rows = _router.Rows;
        var rate = elapsed > 0 ? rows / elapsed : 0;
        TimeSpan? eta = null;
        if (!HasEnded && elapsed > 0)
        {
            var (done, total) = spec?.Rows > 0 ? (rows, spec.Rows) : spec?.Bytes > 0 ? (_router.Bytes, spec.Bytes) : (_router.Committed, (long)_router.Items);
            if (done > 0 && done < total)
            {
                eta = TimeSpan.FromSeconds((total - done) * elapsed / done);
            }
        }
        var errors = HasEnded || _router.Problems == 0
            ? Job.Errors.ToArray()
            : [$"{_router.Problems} {spec?.ItemNoun ?? "item"}(s) found bad rows so far (each is named when the job ends)"];
        return new JobProgress
        {
            JobId = spec?.JobId ?? this.GetPrimaryKeyString(),
            Kind = spec?.Kind ?? "",
            Status = Job.Status,
            ItemNoun = spec?.ItemNoun ?? "item",
            Items = Math.Max(Job.Items, _router.Items),
            ItemsCommitted = _router.Committed,
            ItemsLeased = _router.Leased,
            ItemsFailed = _router.Failed,
            Rows = spec?.Rows ?? 0,
            RowsCommitted = rows,
            Bytes = spec?.Bytes ?? 0,
            BytesCommitted = _router.Bytes,
            RowsPerSecond = rate,
            Eta = eta,
            ResultUrl = Job.ResultUrl,
            QuarantineTableUrl = Job.QuarantineTableUrl,
            RowsQuarantined = Job.RowsQuarantined,
            Errors = errors,
            Submitted = spec?.Submitted ?? default,
            Started = Job.Started,
            Finished = Job.Finished,
            Run = spec?.Run,
            LeaseExpirations = _router.Expirations,
            Retries = _router.Retries,
            Description = spec?.Describe() ?? "",
            Writers = spec?.Writers ?? 0,
            WritersClosed = Job.Writers.Count(w => w.Closed),
            WritersWaiting = [.. Job.Writers.Select((w, i) => (w, i)).Where(p => !p.w.Closed).Select(p => p.i).Take(16)],
            WriterNoun = spec?.WriterNoun ?? "writer",
        };
    }
}
