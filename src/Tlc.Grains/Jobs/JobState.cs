using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>
/// The durable state of a job grain: its spec, where it is and its result. Bounded whatever the job's size: items live in
/// segments; per segment only a few bits (planned, created, sealed) and the summed counts of the sealed ones.
/// </summary>
[GenerateSerializer]
public sealed class JobState
{
    /// <summary>The most errors kept.</summary>
    public const int MaxErrors = 100;

    /// <summary>The job's spec.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>Where the job is.</summary>
    [Id(1)] public JobStatus Status { get; set; }

    /// <summary>Items (planned, or added by writers so far).</summary>
    [Id(2)] public int Items { get; set; }

    /// <summary>When the first item was leased (or written).</summary>
    [Id(3)] public DateTimeOffset? Started { get; set; }

    /// <summary>When the job ended.</summary>
    [Id(4)] public DateTimeOffset? Finished { get; set; }

    /// <summary>Errors that ended the job (at most <see cref="MaxErrors"/>).</summary>
    [Id(5)] public List<string> Errors { get; set; } = [];

    /// <summary>The published result.</summary>
    [Id(6)] public string? ResultUrl { get; set; }

    /// <summary>The quarantine table published beside it, if any.</summary>
    [Id(7)] public string? QuarantineTableUrl { get; set; }

    /// <summary>Rows it lists.</summary>
    [Id(8)] public long RowsQuarantined { get; set; }

    /// <summary>One bit per segment of an explicitly planned job: its plans arrived.</summary>
    [Id(9)] public byte[] Planned { get; set; } = [];

    /// <summary>True when the job failed in a way a retry cannot mend (bad rows, a refused publication).</summary>
    [Id(10)] public bool FailedForGood { get; set; }

    /// <summary>
    /// One bit per segment of a leased job with implied plans: the segment was created (marked durably before it is, so
    /// that activation reads only the segments that exist).
    /// </summary>
    [Id(11)] public byte[] Created { get; set; } = [];

    /// <summary>
    /// One bit per segment of a leased job: every item of it is committed, and its counts are in <see cref="SealedTotals"/>.
    /// Nothing can change there any more, so activation does not read it.
    /// </summary>
    [Id(12)] public byte[] Sealed { get; set; } = [];

    /// <summary>The counts of the sealed segments, summed.</summary>
    [Id(13)] public JobTotals SealedTotals { get; set; } = new();

    /// <summary>The writers' shares of a job of <see cref="JobSpec.Writers"/> (one entry per writer, made at submission).</summary>
    [Id(14)] public List<WriterShare> Writers { get; set; } = [];

    /// <summary>
    /// One bit per sealed segment whose items have a history beyond one clean attempt (expired leases, retries): after the
    /// job reactivates, its history still asks those segments (a sealed segment is not read at activation).
    /// </summary>
    [Id(15)] public byte[] EventfulSealed { get; set; } = [];

    /// <summary>True when sealed segment <paramref name="segment"/> has a history (<see cref="EventfulSealed"/>).</summary>
    public bool IsEventfulSealed(int segment) => SegmentBitmap.Get(EventfulSealed, segment);

    /// <summary>
    /// Each owner's (writer's) last part added and the item it got (key: the owner, <c>id#incarnation</c>): a repeated add
    /// of that part answers the same item. Writers add their parts one after another, so the last one is all a repeat needs.
    /// </summary>
    [Id(16)] public Dictionary<string, OwnedPart> LastParts { get; set; } = [];

    /// <summary>True when segment <paramref name="segment"/>'s plans arrived.</summary>
    public bool IsPlanned(int segment) => SegmentBitmap.Get(Planned, segment);

    /// <summary>Records that segment <paramref name="segment"/>'s plans arrived.</summary>
    public void MarkPlanned(int segment)
    {
        var planned = Planned;
        SegmentBitmap.Set(ref planned, segment);
        Planned = planned;
    }

    /// <summary>Segments whose plans arrived.</summary>
    public int PlannedCount => SegmentBitmap.Count(Planned);

    /// <summary>True when segment <paramref name="segment"/> of a job of <paramref name="spec"/> exists (was created, planned or written to).</summary>
    public bool Exists(JobSpec spec, int segment) => !spec.Leased || (spec.ExplicitPlans ? IsPlanned(segment) : SegmentBitmap.Get(Created, segment));

    /// <summary>The segments of a job of <paramref name="spec"/> with <paramref name="segments"/> segments that exist and are not sealed: those whose items can still change.</summary>
    public IEnumerable<int> LiveSegments(JobSpec spec, int segments) => Enumerable.Range(0, segments).Where(s => Exists(spec, s) && !IsSealed(s));

    /// <summary>True when a job of writers has them all closed.</summary>
    public bool AllWritersClosed => Writers.Count > 0 && Writers.All(w => w.Closed);

    /// <summary>Records that segment <paramref name="segment"/> is created; false when it was already.</summary>
    public bool MarkCreated(int segment)
    {
        var created = Created;
        var added = SegmentBitmap.Set(ref created, segment);
        Created = created;
        return added;
    }

    /// <summary>True when segment <paramref name="segment"/> is sealed.</summary>
    public bool IsSealed(int segment) => SegmentBitmap.Get(Sealed, segment);

    /// <summary>Seals the segment of <paramref name="summary"/> with its final counts; false when it was sealed already.</summary>
    public bool Seal(SegmentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var bits = Sealed;
        if (!SegmentBitmap.Set(ref bits, summary.Segment))
        {
            return false;
        }
        Sealed = bits;
        SealedTotals.Add(summary);
        if (summary.Failed > 0 || summary.Expirations > 0 || summary.Retries > 0)
        {
            var eventful = EventfulSealed;
            SegmentBitmap.Set(ref eventful, summary.Segment);
            EventfulSealed = eventful;
        }
        return true;
    }

    /// <summary>Sets the errors (keeping at most <see cref="MaxErrors"/>, and saying how many more there were).</summary>
    public void SetErrors(IReadOnlyCollection<string> errors)
    {
        Errors = [.. errors.Take(MaxErrors)];
        if (errors.Count > MaxErrors)
        {
            Errors.Add($"… and {errors.Count - MaxErrors} more");
        }
    }
}

/// <summary>Counts summed over segments (the sealed segments of a job).</summary>
[GenerateSerializer]
public sealed class JobTotals
{
    /// <summary>Segments counted.</summary>
    [Id(0)] public int Segments { get; set; }

    /// <summary>Items (all committed).</summary>
    [Id(1)] public long Items { get; set; }

    /// <summary>Rows of the items.</summary>
    [Id(2)] public long Rows { get; set; }

    /// <summary>Source bytes of the items.</summary>
    [Id(3)] public long Bytes { get; set; }

    /// <summary>Lease expirations.</summary>
    [Id(4)] public long Expirations { get; set; }

    /// <summary>Attempts beyond the first.</summary>
    [Id(5)] public long Retries { get; set; }

    /// <summary>Items whose commit reported a problem.</summary>
    [Id(6)] public long Problems { get; set; }

    /// <summary>Adds a segment's counts.</summary>
    public void Add(SegmentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        Segments++;
        Items += summary.Committed;
        Rows += summary.RowsCommitted;
        Bytes += summary.BytesCommitted;
        Expirations += summary.Expirations;
        Retries += summary.Retries;
        Problems += summary.Problems;
    }
}

/// <summary>A writer's part number and the item it was given.</summary>
[GenerateSerializer, Immutable]
public sealed record OwnedPart([property: Id(0)] int Part, [property: Id(1)] int Item);

/// <summary>One writer's share of a job of writers: its current attempt and whether it closed.</summary>
[GenerateSerializer]
public sealed class WriterShare
{
    /// <summary>The current attempt (null until the writer first opens its share).</summary>
    [Id(0)] public string? Attempt { get; set; }

    /// <summary>True once closed: final.</summary>
    [Id(1)] public bool Closed { get; set; }
}
