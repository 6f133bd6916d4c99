namespace Tlc.Cluster;

/// <summary>A job's progress as its job grain reports it, the same for every kind.</summary>
[GenerateSerializer, Immutable]
public sealed record JobProgress
{
    /// <summary>The job id.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>Its kind (<see cref="JobKinds"/>).</summary>
    [Id(1)] public string Kind { get; init; } = "";

    /// <summary>Where it is.</summary>
    [Id(2)] public JobStatus Status { get; init; }

    /// <summary>What one item is called ("shard", "chunk", "part").</summary>
    [Id(3)] public string ItemNoun { get; init; } = "item";

    /// <summary>Items in all (so far, for jobs whose writers add items).</summary>
    [Id(4)] public int Items { get; init; }

    /// <summary>Items committed.</summary>
    [Id(5)] public int ItemsCommitted { get; init; }

    /// <summary>Items leased now (or held by their writers).</summary>
    [Id(6)] public int ItemsLeased { get; init; }

    /// <summary>Items failed.</summary>
    [Id(7)] public int ItemsFailed { get; init; }

    /// <summary>Rows the result will have, when known (0 when not).</summary>
    [Id(8)] public long Rows { get; init; }

    /// <summary>Rows of committed items.</summary>
    [Id(9)] public long RowsCommitted { get; init; }

    /// <summary>Source bytes in all (kinds that read a source).</summary>
    [Id(10)] public long Bytes { get; init; }

    /// <summary>Source bytes of committed items.</summary>
    [Id(11)] public long BytesCommitted { get; init; }

    /// <summary>Committed rows per second since the first lease.</summary>
    [Id(12)] public double RowsPerSecond { get; init; }

    /// <summary>Estimated time left.</summary>
    [Id(13)] public TimeSpan? Eta { get; init; }

    /// <summary>The published result (a metrics table, an imported table), once completed.</summary>
    [Id(14)] public string? ResultUrl { get; init; }

    /// <summary>The quarantine table of an import under the skip policy, once published and when rows were skipped.</summary>
    [Id(15)] public string? QuarantineTableUrl { get; init; }

    /// <summary>Rows skipped (import under the skip policy).</summary>
    [Id(16)] public long RowsQuarantined { get; init; }

    /// <summary>Errors: those that ended the job, or problems committed items report while it runs.</summary>
    [Id(17)] public string[] Errors { get; init; } = [];

    /// <summary>When it was submitted.</summary>
    [Id(18)] public DateTimeOffset Submitted { get; init; }

    /// <summary>When the first item was leased (or written).</summary>
    [Id(19)] public DateTimeOffset? Started { get; init; }

    /// <summary>When it ended.</summary>
    [Id(20)] public DateTimeOffset? Finished { get; init; }

    /// <summary>The run it writes into ("project/run"), if any.</summary>
    [Id(21)] public string? Run { get; init; }

    /// <summary>Leases that expired (workers that died or stalled).</summary>
    [Id(22)] public int LeaseExpirations { get; init; }

    /// <summary>Item attempts beyond the first.</summary>
    [Id(23)] public int Retries { get; init; }

    /// <summary>What the job does, in one line.</summary>
    [Id(24)] public string Description { get; init; } = "";

    /// <summary>Writers the job expects (<see cref="JobSpec.Writers"/>; 0 when one owner publishes).</summary>
    [Id(25)] public int Writers { get; init; }

    /// <summary>Writers that closed their share.</summary>
    [Id(26)] public int WritersClosed { get; init; }

    /// <summary>The first writers (at most 16) that have not closed, e.g. a rank that never came back.</summary>
    [Id(27)] public int[] WritersWaiting { get; init; } = [];

    /// <summary>What one writer is called ("writer", "rank").</summary>
    [Id(28)] public string WriterNoun { get; init; } = "writer";

    /// <summary>True when the job ended (completed, failed or cancelled).</summary>
    public bool IsFinished => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>
/// A segment's counts as it reports them to its job after each durable change: the job sums them (progress), routes
/// leases to segments with pending items or expired leases, and publishes when every item is committed. A higher
/// <see cref="Version"/> replaces a lower one (reports may arrive out of order).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SegmentSummary
{
    /// <summary>The segment's index.</summary>
    [Id(0)] public int Segment { get; init; }

    /// <summary>Increases with every change of the segment's items.</summary>
    [Id(1)] public long Version { get; init; }

    /// <summary>Items the segment holds.</summary>
    [Id(2)] public int Items { get; init; }

    /// <summary>Items waiting for a worker.</summary>
    [Id(3)] public int Pending { get; init; }

    /// <summary>Items leased (or owned by their writers).</summary>
    [Id(4)] public int Leased { get; init; }

    /// <summary>Items committed.</summary>
    [Id(5)] public int Committed { get; init; }

    /// <summary>Items failed.</summary>
    [Id(6)] public int Failed { get; init; }

    /// <summary>The earliest lease deadline among leased items (<see cref="DateTimeOffset.MaxValue"/> when none).</summary>
    [Id(7)] public DateTimeOffset EarliestDeadline { get; init; } = DateTimeOffset.MaxValue;

    /// <summary>Rows of committed items.</summary>
    [Id(8)] public long RowsCommitted { get; init; }

    /// <summary>Source bytes of committed items.</summary>
    [Id(9)] public long BytesCommitted { get; init; }

    /// <summary>Leases that expired and were reclaimed.</summary>
    [Id(10)] public int Expirations { get; init; }

    /// <summary>Leases granted beyond each item's first.</summary>
    [Id(11)] public int Retries { get; init; }

    /// <summary>Committed items whose result reports a problem (<see cref="ItemCommit.Error"/>).</summary>
    [Id(12)] public int Problems { get; init; }

    /// <summary>True once the segment holds its items (plans received or implied).</summary>
    [Id(13)] public bool Initialised { get; init; }
}

/// <summary>What a segment answers to a lease request: the leases granted and its counts after granting them.</summary>
/// <param name="Grants">The leases.</param>
/// <param name="Summary">The segment's counts afterwards.</param>
[GenerateSerializer, Immutable]
public sealed record SegmentLeases([property: Id(0)] LeaseGrant[] Grants, [property: Id(1)] SegmentSummary Summary);

/// <summary>The answer to a job's lease request.</summary>
/// <param name="Grants">The leases granted.</param>
/// <param name="RetryAfter">With no grant: how long until a lease held now runs out (zero when unknown or now).</param>
/// <param name="Open">False once the job hands out no more leases (ended, publishing, still planning): ask the queue instead.</param>
[GenerateSerializer, Immutable]
public sealed record LeaseBatch([property: Id(0)] LeaseGrant[] Grants, [property: Id(1)] TimeSpan RetryAfter, [property: Id(2)] bool Open);

/// <summary>What opening a writer's share of a job answered (<see cref="IJobGrain.OpenWriterAsync"/>).</summary>
/// <param name="Owner">The owner to add items as (<see cref="JobKeys.WriterOwner"/>).</param>
/// <param name="Closed">True when the share was closed already (by an earlier attempt): it is final, nothing more is added.</param>
/// <param name="Replaced">The earlier attempt replaced (its items will not be published), if any.</param>
[GenerateSerializer, Immutable]
public sealed record WriterOpening([property: Id(0)] WorkerRef Owner, [property: Id(1)] bool Closed, [property: Id(2)] string? Replaced);
