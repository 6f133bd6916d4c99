namespace Tlc.Cluster;

/// <summary>The job kinds: one job kernel (job, segment and queue grains, worker loop, client handle, CLI verbs), many kinds.</summary>
public static class JobKinds
{
    /// <summary>collect_metrics over a table: workers lease shards (row ranges), run the model and collectors, commit result chunks; a metrics table is published.</summary>
    public const string Metrics = "metrics";

    /// <summary>A large import: workers lease chunks of the source, convert them to Arrow chunks and commit them; the table is published.</summary>
    public const string Import = "import";

    /// <summary>A metrics table written by writers (a training script, each rank of a distributed one): each flushed part is an item its writer owns; published when closed.</summary>
    public const string Stream = "stream";
}

/// <summary>
/// The keys of the kernel's grains, in one place for grains, workers and clients: the job (its id), its segments, the
/// work queue and the worker registry.
/// </summary>
public static class JobKeys
{
    /// <summary>The key of the work queue (<see cref="IJobQueueGrain"/>) every worker polls.</summary>
    public const string Queue = "default";

    /// <summary>The key of the worker registry (<see cref="IWorkerRegistryGrain"/>).</summary>
    public const string Registry = "default";

    /// <summary>The key of segment <paramref name="segment"/> of job <paramref name="jobId"/>.</summary>
    public static string Segment(string jobId, int segment) => $"{jobId}/s{segment}";

    /// <summary>The segment holding item <paramref name="item"/> of a job with <paramref name="itemsPerSegment"/> items per segment.</summary>
    public static int SegmentOf(int item, int itemsPerSegment) => item / itemsPerSegment;

    /// <summary>The owner of the items writer <paramref name="writer"/> of a job adds in attempt <paramref name="attempt"/>.</summary>
    public static WorkerRef WriterOwner(int writer, string attempt) => new($"writer-{writer.ToString(System.Globalization.CultureInfo.InvariantCulture)}", attempt);

    /// <summary>The writer an item owner made by <see cref="WriterOwner"/> stands for, or null for another owner.</summary>
    public static int? WriterOf(WorkerRef? owner) =>
        owner is { Id: { } id } && id.StartsWith("writer-", StringComparison.Ordinal)
        && int.TryParse(id.AsSpan(7), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var writer) ? writer : null;
}
