using Tlc.Cluster;

namespace Tlc.Grains.Imports;

/// <summary>The durable state of an import job grain: the spec and where the job is (chunk states live in chunk grains).</summary>
[GenerateSerializer]
public sealed class ImportJobState
{
    /// <summary>The job's spec.</summary>
    [Id(0)] public ImportJobSpec? Spec { get; set; }

    /// <summary>Where the job is.</summary>
    [Id(1)] public JobStatus Status { get; set; }

    /// <summary>When the first chunk was leased.</summary>
    [Id(2)] public DateTimeOffset? Started { get; set; }

    /// <summary>When the job ended.</summary>
    [Id(3)] public DateTimeOffset? Finished { get; set; }

    /// <summary>Errors that ended the job.</summary>
    [Id(4)] public List<string> Errors { get; set; } = [];

    /// <summary>The published table.</summary>
    [Id(5)] public string? TableUrl { get; set; }

    /// <summary>The published quarantine table (skip policy, when rows were left out).</summary>
    [Id(6)] public string? QuarantineTableUrl { get; set; }

    /// <summary>Rows left out (skip policy).</summary>
    [Id(7)] public long RowsQuarantined { get; set; }
}
