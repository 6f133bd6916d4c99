using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>One item of a segment as it is stored: its lease state and its accepted commit.</summary>
[GenerateSerializer, SuppressReferenceTracking]
public sealed class SegmentItem
{
    /// <summary>The lease state.</summary>
    [Id(0)] public LeaseState Lease { get; set; } = new();

    /// <summary>The accepted commit (immutable), once there is one.</summary>
    [Id(1)] public ItemCommit? Commit { get; set; }

    /// <summary>A copy to store or hand out (the grain keeps mutating its own).</summary>
    public SegmentItem Copy() => new() { Lease = LeaseStates.Copy(Lease), Commit = Commit };
}

/// <summary>What a segment is, written once when it is created: the job's spec, where its items start and their plans.</summary>
[GenerateSerializer]
public sealed class SegmentPlanRecord
{
    /// <summary>The job's spec.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>The segment's index.</summary>
    [Id(1)] public int Segment { get; set; }

    /// <summary>The job index of the segment's first item.</summary>
    [Id(2)] public int FirstItem { get; set; }

    /// <summary>The items' plans (null: implied by the spec, or items owned by writers, which have none).</summary>
    [Id(3)] public WorkItemPlan[]? Plans { get; set; }
}

/// <summary>
/// The full state of a segment's items at one point: written when the deltas since the last snapshot grow as large as a
/// snapshot, or when the ring of delta slots is full. <see cref="Through"/> is the last delta it includes.
/// </summary>
[GenerateSerializer, SuppressReferenceTracking]
public sealed class SegmentSnapshot
{
    /// <summary>The last delta number it includes (0: none).</summary>
    [Id(0)] public long Through { get; set; }

    /// <summary>The items, in order.</summary>
    [Id(1)] public SegmentItem[] Items { get; set; } = [];

    /// <summary>True once the job was cancelled.</summary>
    [Id(2)] public bool Cancelled { get; set; }
}

/// <summary>
/// The items that changed in one group commit (their whole new state, so replaying is overwriting), numbered; stored in
/// slot <c>Number % slots</c>. Items past the snapshot's count are new (owned items added by writers).
/// </summary>
[GenerateSerializer, SuppressReferenceTracking]
public sealed class SegmentDelta
{
    /// <summary>The delta's number (the first after a snapshot is its <see cref="SegmentSnapshot.Through"/> + 1).</summary>
    [Id(0)] public long Number { get; set; }

    /// <summary>The segment's item count after it.</summary>
    [Id(1)] public int Count { get; set; }

    /// <summary>The changed items' positions in the segment.</summary>
    [Id(2)] public int[] Positions { get; set; } = [];

    /// <summary>Their new state.</summary>
    [Id(3)] public SegmentItem[] Items { get; set; } = [];

    /// <summary>True once the job was cancelled.</summary>
    [Id(4)] public bool Cancelled { get; set; }
}
