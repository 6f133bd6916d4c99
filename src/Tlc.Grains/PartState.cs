using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>The durable state of a part grain.</summary>
[GenerateSerializer]
public sealed class PartState : ILeasedItemState
{
    /// <summary>The sink (and job) the part belongs to.</summary>
    [Id(0)] public string? SinkId { get; set; }

    /// <summary>The part's index.</summary>
    [Id(1)] public int Index { get; set; }

    /// <summary>What the part must produce (null for writer parts).</summary>
    [Id(2)] public PartPlan? Plan { get; set; }

    /// <summary>Attempts before the part fails.</summary>
    [Id(3)] public int MaxAttempts { get; set; } = 3;

    /// <summary>Lease length.</summary>
    [Id(4)] public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The lease state.</summary>
    [Id(5)] public LeaseState Lease { get; set; } = new();

    /// <summary>The accepted commit.</summary>
    [Id(6)] public PartCommit? Commit { get; set; }

    /// <summary>True when the job was cancelled.</summary>
    [Id(7)] public bool Cancelled { get; set; }

    /// <inheritdoc />
    string? ILeasedItemState.Owner => SinkId;
}
