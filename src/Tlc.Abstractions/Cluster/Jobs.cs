using Tlc.Metrics;

namespace Tlc.Cluster;

/// <summary>Where a metrics job is.</summary>
public enum JobStatus
{
    /// <summary>Submitted; waiting for workers.</summary>
    Pending,
    /// <summary>Shards are being computed.</summary>
    Running,
    /// <summary>Every shard is committed; the metrics table is being published.</summary>
    Publishing,
    /// <summary>The metrics table is published and registered with the run.</summary>
    Completed,
    /// <summary>A shard failed too often (or publication failed); nothing is published.</summary>
    Failed,
    /// <summary>Cancelled; nothing is published.</summary>
    Cancelled,
}

/// <summary>
/// Everything a worker needs to compute a metrics table's shards: the input table (a fixed revision), the model and
/// collectors as specs, the output location, the shard plan. Small: it never holds rows.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record MetricsJobSpec
{
    /// <summary>The job id (also the sink's id).</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>The input table's exact revision.</summary>
    [Id(1)] public required string TableUrl { get; init; }

    /// <summary>The input table's object id (a different id means the table was overwritten).</summary>
    [Id(2)] public required string TableObjectId { get; init; }

    /// <summary>The input table's row count.</summary>
    [Id(3)] public required long TableRows { get; init; }

    /// <summary>The model.</summary>
    [Id(4)] public required ModelSpec Model { get; init; }

    /// <summary>The collectors.</summary>
    [Id(5)] public required CollectorSpec[] Collectors { get; init; }

    /// <summary>Constant columns as a JSON object (e.g. <c>{"epoch": 2, "split": "val"}</c>).</summary>
    [Id(6)] public string? ConstantsJson { get; init; }

    /// <summary>Skip rows whose weight is 0.</summary>
    [Id(7)] public bool ExcludeZeroWeights { get; init; }

    /// <summary>Samples per model batch.</summary>
    [Id(8)] public int BatchSize { get; init; } = 64;

    /// <summary>The run ("project/run").</summary>
    [Id(9)] public required string RunKey { get; init; }

    /// <summary>The metrics table's folder (fixed at submission: publication is create-if-absent there).</summary>
    [Id(10)] public required string MetricsTableUrl { get; init; }

    /// <summary>The metrics table's stream name.</summary>
    [Id(11)] public required string StreamName { get; init; }

    /// <summary>The metrics table's schema (a <c>TableSchema</c> as JSON).</summary>
    [Id(12)] public required string OutputSchemaJson { get; init; }

    /// <summary>The shards.</summary>
    [Id(13)] public required PartPlan[] Shards { get; init; }

    /// <summary>Attempts per shard before the job fails.</summary>
    [Id(14)] public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a shard lease lasts without renewal.</summary>
    [Id(15)] public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When it was submitted.</summary>
    [Id(16)] public DateTimeOffset Submitted { get; init; }

    /// <summary>The split name stored with the run's aggregates (e.g. "val").</summary>
    [Id(17)] public string? Split { get; init; }
}

/// <summary>A job's progress as the job grain reports it.</summary>
[GenerateSerializer, Immutable]
public sealed record JobProgress
{
    /// <summary>The job id.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>Where it is.</summary>
    [Id(1)] public JobStatus Status { get; init; }

    /// <summary>Shards in all.</summary>
    [Id(2)] public int Shards { get; init; }

    /// <summary>Shards committed.</summary>
    [Id(3)] public int ShardsCommitted { get; init; }

    /// <summary>Shards leased now.</summary>
    [Id(4)] public int ShardsLeased { get; init; }

    /// <summary>Shards failed.</summary>
    [Id(5)] public int ShardsFailed { get; init; }

    /// <summary>Rows the metrics table will have.</summary>
    [Id(6)] public long Rows { get; init; }

    /// <summary>Rows committed.</summary>
    [Id(7)] public long RowsCommitted { get; init; }

    /// <summary>Committed rows per second since the first lease.</summary>
    [Id(8)] public double RowsPerSecond { get; init; }

    /// <summary>Estimated time left.</summary>
    [Id(9)] public TimeSpan? Eta { get; init; }

    /// <summary>The published metrics table, once completed.</summary>
    [Id(10)] public string? MetricsTableUrl { get; init; }

    /// <summary>Errors (shard errors when failed).</summary>
    [Id(11)] public string[] Errors { get; init; } = [];

    /// <summary>When it was submitted.</summary>
    [Id(12)] public DateTimeOffset Submitted { get; init; }

    /// <summary>When it finished.</summary>
    [Id(13)] public DateTimeOffset? Finished { get; init; }

    /// <summary>The run.</summary>
    [Id(14)] public string RunKey { get; init; } = "";

    /// <summary>Leases that expired (workers that died or stalled).</summary>
    [Id(15)] public int LeaseExpirations { get; init; }

    /// <summary>Shard attempts beyond the first.</summary>
    [Id(16)] public int Retries { get; init; }

    /// <summary>True when the job ended (completed, failed or cancelled).</summary>
    public bool IsFinished => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>A worker's registration: what it can do and that it is alive.</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Host">Its machine.</param>
/// <param name="Device">"cpu" or "cuda:N".</param>
/// <param name="LoadedModels">Model specs it has loaded (names), so jobs can prefer warm workers.</param>
/// <param name="Draining">True when it is shutting down: it takes no new leases.</param>
/// <param name="LastSeen">When it last reported.</param>
[GenerateSerializer, Immutable]
public sealed record WorkerInfo(
    [property: Id(0)] WorkerRef Worker,
    [property: Id(1)] string Host,
    [property: Id(2)] string Device,
    [property: Id(3)] string[] LoadedModels,
    [property: Id(4)] bool Draining,
    [property: Id(5)] DateTimeOffset LastSeen);
