using Tlc.Cluster;

namespace Tlc.Grains.Imports;

/// <summary>The durable state of an import chunk grain.</summary>
[GenerateSerializer]
public sealed class ImportChunkState : ILeasedItemState
{
    /// <summary>The job the chunk belongs to.</summary>
    [Id(0)] public string? JobId { get; set; }

    /// <summary>The chunk's index.</summary>
    [Id(1)] public int Index { get; set; }

    /// <summary>Attempts before the chunk fails.</summary>
    [Id(2)] public int MaxAttempts { get; set; } = 3;

    /// <summary>Lease length.</summary>
    [Id(3)] public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The lease state.</summary>
    [Id(4)] public LeaseState Lease { get; set; } = new();

    /// <summary>The accepted commit.</summary>
    [Id(5)] public ImportChunkCommit? Commit { get; set; }

    /// <summary>True when the job was cancelled.</summary>
    [Id(6)] public bool Cancelled { get; set; }

    /// <inheritdoc />
    string? ILeasedItemState.Owner => JobId;
}
