namespace Tlc.Workers;

/// <summary>How a worker runs.</summary>
public sealed class WorkerOptions
{
    /// <summary>The worker id (stable across restarts). Default: host name and process id.</summary>
    public string? WorkerId { get; init; }

    /// <summary>The default of <see cref="MaxConcurrentShards"/> (and of <c>tlc worker --concurrency</c>): 2.</summary>
    public const int DefaultConcurrentShards = 2;

    /// <summary>
    /// Metrics shards computed at once. The shards of one job share its model's one inference thread, so a second shard
    /// decodes its first batch, and the first writes its chunk file, while the other's batches run through the model:
    /// the model is not left idle at each shard's start and end (with one shard at a time, a shard of one batch waited for
    /// its whole decoding). A worker that dies loses the shards it held; each is leased again elsewhere. Default: 2
    /// (<see cref="DefaultConcurrentShards"/>).
    /// </summary>
    public int MaxConcurrentShards { get; init; } = DefaultConcurrentShards;

    /// <summary>How long to wait before asking again when there is no work. Default: 1 s.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest wait between polls of an idle worker: each empty answer doubles the wait from <see cref="PollInterval"/>
    /// up to this, so thousands of idle workers do not swamp a job's tail; a new job wakes them at once (the queue is long
    /// polled). Keep it well under a lease, so an expired lease is taken soon. Default: 8 s.
    /// </summary>
    public TimeSpan MaxPollInterval { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>How often to report liveness to the worker registry. Default: 5 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often to renew a lease, as a fraction of its length. Default: 1/3.</summary>
    public double RenewFraction { get; init; } = 1.0 / 3;

    /// <summary>
    /// How soon a renewal the cluster did not answer (a silo died, the segment moves) is tried again, instead of a whole renew
    /// interval later; each renewal call is given one renew interval to answer. Default: 1 s.
    /// </summary>
    public TimeSpan RenewRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Attempts at committing a result when the cluster does not answer (same operation id each time). Default: 5.</summary>
    public int CommitAttempts { get; init; } = 5;

    /// <summary>The device the worker computes on ("cpu", "cuda:0"), reported to the registry. Default: "cpu".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// Threads the worker converts import chunks with: shared among the chunks converting at once; a chunk converting alone
    /// parses with all of them where the format and the store allow it (CSV on local disk). Default: the machine's cores.
    /// </summary>
    public int ConversionThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Import chunks converted at once (alongside metrics shards, which <see cref="MaxConcurrentShards"/> bounds). More
    /// than one keeps every core busy for formats that convert a chunk on one thread (NDJSON, COCO) and hides each chunk's
    /// commit behind another's conversion, but a worker that dies loses every chunk it was converting (each is read
    /// again elsewhere). Default: 1 — CSV and Parquet chunks use <see cref="ConversionThreads"/> inside the chunk.
    /// </summary>
    public int ImportChunksAtOnce { get; init; } = 1;
}
