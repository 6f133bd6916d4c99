using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>The durable state of a metrics job grain: the spec and where the job is (part states live in part grains).</summary>
[GenerateSerializer]
public sealed class JobState
{
    /// <summary>The job's spec.</summary>
    [Id(0)] public MetricsJobSpec? Spec { get; set; }

    /// <summary>Where the job is.</summary>
    [Id(1)] public JobStatus Status { get; set; }

    /// <summary>When the first shard was leased.</summary>
    [Id(2)] public DateTimeOffset? Started { get; set; }

    /// <summary>When the job ended.</summary>
    [Id(3)] public DateTimeOffset? Finished { get; set; }

    /// <summary>Errors that ended the job.</summary>
    [Id(4)] public List<string> Errors { get; set; } = [];

    /// <summary>The published metrics table.</summary>
    [Id(5)] public string? MetricsTableUrl { get; set; }
}
