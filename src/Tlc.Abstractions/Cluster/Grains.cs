using Orleans.Concurrency;

namespace Tlc.Cluster;

/// <summary>A run (key "project/run"): parameters, status, aggregates, metrics tables.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Creates the run, or takes it over (reuse keeps its history).</summary>
    Task<RunInfo> InitAsync(RunInit init);

    /// <summary>The run; a run whose owner stopped sending heartbeats while it was active reads as <see cref="RunStatus.Interrupted"/>.</summary>
    Task<RunInfo> GetAsync();

    /// <summary>Merges parameters (a JSON object) into the run's.</summary>
    Task SetParametersAsync(string parametersJson);

    /// <summary>Sets the description.</summary>
    Task SetDescriptionAsync(string description);

    /// <summary>Sets the status (completed and cancelled also end ownership).</summary>
    Task SetStatusAsync(RunStatus status);

    /// <summary>Records a log call's summary.</summary>
    Task LogAsync(LogUpdate update);

    /// <summary>Adds an input table URL (once).</summary>
    Task AddInputAsync(string tableUrl);

    /// <summary>Registers a published metrics table (once per URL).</summary>
    Task AddMetricsTableAsync(RunMetricsTable table);

    /// <summary>Keeps ownership alive until <paramref name="deadline"/>.</summary>
    Task HeartbeatAsync(WorkerRef owner, DateTimeOffset deadline);
}

/// <summary>
/// One part (shard) of a metrics table (key "job/index"): its lease state and its accepted commit. Each part has its own
/// small durable state, so a commit never rewrites the state of the others.
/// </summary>
public interface IPartGrain : IGrainWithStringKey
{
    /// <summary>Sets the part's plan (idempotent); null for parts of a metrics table writer, which are not planned.</summary>
    Task InitAsync(string sinkId, PartPlan? plan, int maxAttempts, TimeSpan leaseDuration);

    /// <summary>Leases the part to <paramref name="worker"/> when it is available.</summary>
    Task<LeaseGrant?> TryLeaseAsync(WorkerRef worker);

    /// <summary>Extends a lease.</summary>
    Task<RenewOutcome> RenewAsync(string token);

    /// <summary>Commits a result: validated against the plan, first valid commit wins, a repeat is a no-op.</summary>
    Task<CommitResult> CommitAsync(PartCommit commit);

    /// <summary>Reports that the lease holder failed.</summary>
    Task ReportFailureAsync(string token, string error);

    /// <summary>Returns a failed (not committed) part to pending with fresh attempts.</summary>
    Task ResetAsync();

    /// <summary>Stops the part: no more leases, renewals lose, commits are rejected.</summary>
    Task CancelAsync();

    /// <summary>The part's state.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<PartInfo> GetAsync();
}

/// <summary>A request to start a metrics table sink.</summary>
/// <param name="SinkId">The sink id (the job id, or a writer's id).</param>
/// <param name="MetricsTableUrl">The metrics table folder.</param>
/// <param name="SchemaJson">Its schema (a TableSchema as JSON).</param>
/// <param name="ForeignTableUrl">The input table revision.</param>
/// <param name="ForeignTableObjectId">The input table's object id.</param>
/// <param name="ForeignTableRows">Its rows.</param>
/// <param name="RunKey">The run ("project/run").</param>
/// <param name="StreamName">The stream name.</param>
/// <param name="ConstantsJson">Constants stored with it.</param>
/// <param name="Parts">For jobs, the planned parts; for writers, 0 (parts are added as they come).</param>
/// <param name="RequireFullCoverage">True when every planned id must appear exactly once.</param>
[GenerateSerializer, Immutable]
public sealed record SinkSpec(
    [property: Id(0)] string SinkId,
    [property: Id(1)] string MetricsTableUrl,
    [property: Id(2)] string SchemaJson,
    [property: Id(3)] string ForeignTableUrl,
    [property: Id(4)] string ForeignTableObjectId,
    [property: Id(5)] long ForeignTableRows,
    [property: Id(6)] string RunKey,
    [property: Id(7)] string StreamName,
    [property: Id(8)] string? ConstantsJson,
    [property: Id(9)] int Parts,
    [property: Id(10)] bool RequireFullCoverage);

/// <summary>What a sink reports.</summary>
/// <param name="Parts">Parts known.</param>
/// <param name="Committed">Parts committed.</param>
/// <param name="PublishedUrl">The published metrics table, once published.</param>
/// <param name="Error">Why publication failed, if it did.</param>
[GenerateSerializer, Immutable]
public sealed record SinkStatus([property: Id(0)] int Parts, [property: Id(1)] int Committed, [property: Id(2)] string? PublishedUrl, [property: Id(3)] string? Error);

/// <summary>
/// Merges committed parts into one immutable metrics table (key: sink id): checks every example id appears at most
/// once (exactly once for full coverage), publishes the object file last with create-if-absent, registers the table
/// with the run. Tracks part indices only, never rows.
/// </summary>
public interface ISinkGrain : IGrainWithStringKey
{
    /// <summary>Starts the sink (idempotent).</summary>
    Task InitAsync(SinkSpec spec);

    /// <summary>A writer's next part index.</summary>
    Task<int> AddPartAsync();

    /// <summary>Tells the sink that part <paramref name="index"/> committed.</summary>
    Task PartCommittedAsync(int index);

    /// <summary>Publishes once every part is committed; returns the metrics table URL.</summary>
    Task<string> PublishAsync();

    /// <summary>The sink's state.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<SinkStatus> GetAsync();

    /// <summary>The sink's spec (what a writer attaching to it needs), or null for an unknown sink.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<SinkSpec?> GetSpecAsync();
}

/// <summary>
/// A distributed metrics collection job (key: job id): the plan, lease hand-out in batches, progress. Progress queries
/// are read-only and interleaved; expired leases are reclaimed when workers ask for more.
/// </summary>
public interface IMetricsJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job (a repeat with the same id is a no-op).</summary>
    Task<JobProgress> SubmitAsync(MetricsJobSpec spec);

    /// <summary>The job's spec.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<MetricsJobSpec?> GetSpecAsync();

    /// <summary>
    /// Leases up to <paramref name="max"/> shards to <paramref name="worker"/>. Interleaved: concurrent requests pick different
    /// candidates, and each part grain grants its lease to one of them only.
    /// </summary>
    [AlwaysInterleave]
    Task<LeaseGrant[]> LeaseAsync(WorkerRef worker, int max);

    /// <summary>Told by a part grain that part <paramref name="index"/> changed.</summary>
    [AlwaysInterleave]
    Task PartChangedAsync(int index, WorkStatus status, long rows);

    /// <summary>The job's progress.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobProgress> GetProgressAsync();

    /// <summary>
    /// The job's progress as soon as it has ended (completed, failed or cancelled), or after <paramref name="maxWait"/>
    /// when it has not: a long poll, so a waiting client learns of the end without a polling delay.
    /// </summary>
    [ReadOnly, AlwaysInterleave]
    Task<JobProgress> WaitForEndAsync(TimeSpan maxWait);

    /// <summary>Cancels the job: no more leases, nothing is published.</summary>
    Task<JobProgress> CancelAsync();

    /// <summary>Retries a failed job: failed shards return to pending.</summary>
    Task<JobProgress> RetryAsync();
}

/// <summary>The jobs that need workers (key "default"), persisted so polling workers find them after a full restart.</summary>
public interface IJobQueueGrain : IGrainWithStringKey
{
    /// <summary>Adds a job.</summary>
    Task EnqueueAsync(string jobId);

    /// <summary>Removes a finished job.</summary>
    Task RemoveAsync(string jobId);

    /// <summary>Jobs that need workers.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> GetActiveAsync();

    /// <summary>
    /// The jobs that need workers as soon as they differ from <paramref name="known"/> (a job was added or removed), or
    /// after <paramref name="maxWait"/>: a long poll, so idle workers start on a new job without a polling delay.
    /// </summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> WaitForChangeAsync(string[] known, TimeSpan maxWait);

    /// <summary>Every job ever submitted, newest first (ids).</summary>
    [ReadOnly, AlwaysInterleave]
    Task<string[]> GetAllAsync();
}

/// <summary>The workers of the cluster (key "default"): liveness by heartbeat, capabilities, draining.</summary>
public interface IWorkerRegistryGrain : IGrainWithStringKey
{
    /// <summary>Records a heartbeat; returns false when the worker was told to drain.</summary>
    Task<bool> HeartbeatAsync(WorkerInfo info);

    /// <summary>Asks a worker to take no more leases.</summary>
    Task DrainAsync(string workerId);

    /// <summary>Forgets a worker that stopped.</summary>
    Task UnregisterAsync(WorkerRef worker);

    /// <summary>Workers seen within <paramref name="within"/>.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<WorkerInfo[]> ListAsync(TimeSpan within);
}

/// <summary>
/// The catalog of one table lineage in a cluster (key: the lineage root table URL): its head revision. It rebuilds
/// itself from the files when it activates; publishing a revision is compare-and-swap on the head plus create-if-absent
/// of the object file.
/// </summary>
public interface ITableLineageGrain : IGrainWithStringKey
{
    /// <summary>The head revision's URL.</summary>
    Task<string> GetHeadAsync();

    /// <summary>Records <paramref name="revision"/> (already published as a file) as the head after <paramref name="baseRevision"/>; false when the base is not the head.</summary>
    Task<bool> AdvanceAsync(string baseRevision, string revision);
}
