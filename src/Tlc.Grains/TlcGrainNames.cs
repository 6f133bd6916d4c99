using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>Names the silo configuration and the grains agree on.</summary>
public static class TlcGrainNames
{
    /// <summary>The grain storage provider holding every Tlc grain's state.</summary>
    public const string Storage = "tlc";

    /// <summary>The key of the job queue of import jobs (metrics jobs are queued under <see cref="Default"/>).</summary>
    public const string ImportQueue = JobQueueKeys.Imports;

    /// <summary>The key of singleton grains (job queue, worker registry).</summary>
    public const string Default = "default";

    /// <summary>The key of part <paramref name="index"/> of sink/job <paramref name="sinkId"/>.</summary>
    public static string PartKey(string sinkId, int index) => $"{sinkId}/{index}";
}
