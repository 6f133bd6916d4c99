using Orleans.Concurrency;

namespace Tlc.Cluster;

/// <summary>
/// A job of any kind (key: the job id): its spec, its status and result, lease hand-out routed to its segments, progress
/// summed from their reports. It holds no per-item state: items live in segment grains (<see cref="IJobSegmentGrain"/>)
/// of at most <see cref="JobSpec.ItemsPerSegment"/> items each, so activating it reads one summary per segment. Progress
/// queries are read-only and interleaved; expired leases are reclaimed when workers ask for more.
/// </summary>
[GrainInterfaceType("tlc.job")] // named, so a reference costs no type-name formatting (calls on every lease and commit)
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Submits the job (a repeat with the same id and spec is a no-op). A job whose spec implies its plans (or whose items
    /// its writers add) starts at once; one with explicit plans is <see cref="JobStatus.Planning"/> until
    /// <see cref="AddPlansAsync"/> has delivered every segment's plans.
    /// </summary>
    Task<JobProgress> SubmitAsync(JobSpec spec);

    /// <summary>
    /// Delivers the plans of one segment's items (the items <c>plans[0].Index</c> on, in order, one whole segment at a time;
    /// idempotent). When the last segment has its plans, the job starts.
    /// </summary>
    Task<JobProgress> AddPlansAsync(WorkItemPlan[] plans);

    /// <summary>The job's spec, or null for an unknown job.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobSpec?> GetSpecAsync();

    /// <summary>
    /// Leases up to <paramref name="max"/> items to <paramref name="worker"/>: pending ones first, then ones whose lease ran
    /// out. Interleaved: concurrent requests are routed to different segments where they can be, and each segment grants an
    /// item to one of them only. Each grant carries its item's plan. With no grant, the answer says when asking again can
    /// help (the earliest lease deadline) and whether the job still hands out leases, so idle workers need not poll.
    /// </summary>
    [AlwaysInterleave]
    Task<LeaseBatch> LeaseAsync(WorkerRef worker, int max);

    /// <summary>Told by a segment that its counts changed (after the change is durable).</summary>
    [AlwaysInterleave]
    Task SegmentChangedAsync(SegmentSummary summary);

    /// <summary>
    /// Adds an item owned by <paramref name="owner"/> for its part <paramref name="part"/> (its parts numbered from 0, added
    /// one after another); returns its index. Idempotent per (owner, part): asked again after a lost answer (a silo died),
    /// it answers the same item rather than leaving one that is never committed. In a job of <see cref="JobSpec.Writers"/>,
    /// the owner must be the current attempt of a writer whose share is open.
    /// </summary>
    Task<int> AddOwnedItemAsync(WorkerRef owner, int part);

    /// <summary>
    /// Opens writer <paramref name="writer"/>'s share of a job of <see cref="JobSpec.Writers"/> for attempt
    /// <paramref name="attempt"/> (idempotent per attempt). A new attempt replaces the share's unfinished earlier one: the
    /// earlier attempt's items are never published and it can add no more. A closed share stays closed (final).
    /// </summary>
    Task<WriterOpening> OpenWriterAsync(int writer, string attempt);

    /// <summary>
    /// Closes writer <paramref name="writer"/>'s share (its items all committed; idempotent). When every writer has closed,
    /// the job publishes by itself from the items of each writer's closing attempt.
    /// </summary>
    Task<JobProgress> CloseWriterAsync(int writer, string attempt);

    /// <summary>
    /// Publishes a job whose writers add its items, once every item is committed (idempotent: returns the progress with the
    /// result). Throws naming the items without a commit when some are still being written; a refused publication (an
    /// example id twice, one missing under full coverage) fails the job and says why.
    /// </summary>
    Task<JobProgress> PublishAsync();

    /// <summary>The job's progress.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobProgress> GetProgressAsync();

    /// <summary>
    /// The job's history of attempts that did not end in a commit (expired leases with the worker that held them, reported
    /// failures), item by item, at most <paramref name="max"/> entries; reads only the segments whose counts show such
    /// attempts.
    /// </summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> GetHistoryAsync(int max);

    /// <summary>The progress as soon as the job has ended, or after <paramref name="maxWait"/> (a long poll).</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobProgress> WaitForEndAsync(TimeSpan maxWait);

    /// <summary>Cancels the job: no more leases, nothing is published, what its items staged is deleted.</summary>
    Task<JobProgress> CancelAsync();

    /// <summary>Retries a failed job: items whose attempts ran out return to pending (committed ones are kept).</summary>
    Task<JobProgress> RetryAsync();
}

/// <summary>
/// At most <see cref="JobSpec.ItemsPerSegment"/> items of one job (key <see cref="JobKeys.Segment"/>): their plans, lease
/// states and commits, under the lease/commit protocol (<see cref="LeaseProtocol"/>). Changes are group-committed: calls
/// interleave, and the changes made while one write is in flight go out together in the next, each written as a small
/// delta (never the whole segment) before any of its callers is answered. Workers renew, commit and report failures here
/// directly; leases come through the job, which knows which segments have work.
/// </summary>
[GrainInterfaceType("tlc.job-segment")]
public interface IJobSegmentGrain : IGrainWithStringKey
{
    /// <summary>Creates the segment with its items' plans (null entries: implied by the spec); idempotent.</summary>
    Task<SegmentSummary> InitAsync(JobSpec spec, int segment, int firstItem, int items, WorkItemPlan[]? plans);

    /// <summary>Leases up to <paramref name="max"/> pending items (or items whose lease ran out) to <paramref name="worker"/>.</summary>
    Task<SegmentLeases> LeaseAsync(WorkerRef worker, int max);

    /// <summary>Extends the lease of item <paramref name="item"/>.</summary>
    Task<RenewOutcome> RenewAsync(int item, string token);

    /// <summary>Commits an item's result: checked by the job's kind, the first valid commit wins, a repeat of it is a no-op.</summary>
    Task<CommitResult> CommitAsync(ItemCommit commit);

    /// <summary>
    /// Reports that the holder of item <paramref name="item"/>'s lease failed: the item is retried, or fails after its
    /// attempts — at once when <paramref name="permanent"/> (another attempt cannot succeed).
    /// </summary>
    Task ReportFailureAsync(int item, string token, string error, bool permanent);

    /// <summary>Gives back the lease of an item its holder never started (a draining worker's leases fetched ahead): it is pending again, its attempt not counted.</summary>
    Task ReleaseAsync(int item, string token);

    /// <summary>Adds item <paramref name="item"/>, owned by <paramref name="owner"/> as its part <paramref name="part"/> (never leased, never expires; idempotent).</summary>
    Task AddOwnedAsync(int item, WorkerRef owner, int part);

    /// <summary>Returns failed (not committed) items to pending with fresh attempts.</summary>
    Task<SegmentSummary> ResetFailedAsync();

    /// <summary>Stops the segment: no more leases, renewals lose, commits are rejected.</summary>
    Task CancelAsync();

    /// <summary>The segment's counts.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<SegmentSummary> GetSummaryAsync();

    /// <summary>Every item's state and commit, in item order (what publication and clean-up read; small: files hold the rows).</summary>
    [ReadOnly, AlwaysInterleave]
    Task<ItemInfo[]> GetItemsAsync();

    /// <summary>The errors of failed items (each attempt's), at most <paramref name="max"/>, naming the item.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> GetErrorsAsync(int max);

    /// <summary>
    /// Every item's attempts that did not end in its commit — leases that expired (a worker that died or stalled: which
    /// worker, when the lease ran out and when it was taken back), failures reported — whether or not the item later
    /// committed, at most <paramref name="max"/>, naming the item.
    /// </summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> GetHistoryAsync(int max);
}

/// <summary>
/// The jobs that need workers (key <see cref="JobKeys.Queue"/>), persisted so polling workers find them after a full
/// restart, and the newest jobs of every kind for listings.
/// </summary>
public interface IJobQueueGrain : IGrainWithStringKey
{
    /// <summary>Adds a job to the history, and to the work queue when <paramref name="needsWorkers"/>.</summary>
    Task EnqueueAsync(JobRef job, bool needsWorkers);

    /// <summary>Removes a finished job from the work queue.</summary>
    Task RemoveAsync(string jobId);

    /// <summary>Jobs that need workers.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobRef[]> GetActiveAsync();

    /// <summary>
    /// The jobs that need workers as soon as they differ from <paramref name="known"/> (a job was added or removed), or after
    /// <paramref name="maxWait"/>: a long poll, so idle workers start on a new job without a polling delay.
    /// </summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobRef[]> WaitForChangeAsync(string[] known, TimeSpan maxWait);

    /// <summary>The newest jobs ever submitted, of every kind, newest first (the latest 1,000).</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobRef[]> GetAllAsync();
}
