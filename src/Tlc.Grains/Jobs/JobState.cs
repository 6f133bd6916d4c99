using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>
/// The durable state of a job grain: its spec, where it is and its result. Bounded whatever the job's size: items live in
/// segments; the only per-segment bit here is whether an explicitly planned segment has its plans.
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

    /// <summary>True when segment <paramref name="segment"/>'s plans arrived.</summary>
    public bool IsPlanned(int segment) => segment < Planned.Length * 8 && (Planned[segment >> 3] & (1 << (segment & 7))) != 0;

    /// <summary>Records that segment <paramref name="segment"/>'s plans arrived.</summary>
    public void MarkPlanned(int segment) => Planned[segment >> 3] |= (byte)(1 << (segment & 7));

    /// <summary>Segments whose plans arrived.</summary>
    public int PlannedCount => Planned.Sum(b => System.Numerics.BitOperations.PopCount(b));

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
