using Orleans.Concurrency;

namespace Tlc.Cluster;

/// <summary>The keys of the job queues workers poll.</summary>
public static class JobQueueKeys
{
    /// <summary>Metrics (collect_metrics) jobs.</summary>
    public const string Metrics = "default";

    /// <summary>Import jobs.</summary>
    public const string Imports = "imports";
}

/// <summary>What an import does with bad rows.</summary>
public enum ImportErrorPolicy
{
    /// <summary>The job fails with the errors found (each chunk's first), nothing is published.</summary>
    Fail,
    /// <summary>Bad rows are left out and listed in a quarantine table linked from the imported table.</summary>
    Skip,
}

/// <summary>
/// One chunk of an import's source, cut by the planner so that chunks convert independently: a byte range at record
/// boundaries (CSV, NDJSON), a row group (Parquet), a range of image ids (COCO), a page of files (YOLO, image folders),
/// a range of record batches of an Arrow file (Hugging Face saved datasets).
/// </summary>
/// <param name="Index">The chunk's index; chunks are published in index order.</param>
/// <param name="Descriptor">The format's description of the chunk (JSON), e.g. <c>{"start":0,"end":1048576,"first_line":2}</c>.</param>
/// <param name="Bytes">Source bytes it covers (for progress and the resume-cost figure).</param>
[GenerateSerializer, Immutable]
public sealed record ImportChunkPlan([property: Id(0)] int Index, [property: Id(1)] string Descriptor, [property: Id(2)] long Bytes);

/// <summary>
/// Everything a worker needs to convert an import's chunks and the job grain needs to publish the table: the source,
/// the schema fixed by the planner, the format's conversion settings and the chunk plan. Small: it never holds rows.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record ImportJobSpec
{
    /// <summary>The job id; retrying an import with the same id publishes one table.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>The source format ("csv", "ndjson", "parquet", "coco", "yolo", "image-folder", "hf").</summary>
    [Id(1)] public required string Format { get; init; }

    /// <summary>The source URL.</summary>
    [Id(2)] public required string SourceUrl { get; init; }

    /// <summary>The table to publish (its folder URL; the object file is written there last).</summary>
    [Id(3)] public required string TableUrl { get; init; }

    /// <summary>The table's schema (a TableSchema as JSON), fixed by the planner for every chunk.</summary>
    [Id(4)] public required string SchemaJson { get; init; }

    /// <summary>The format's conversion settings (JSON: separator, null values, batch rows, …).</summary>
    [Id(5)] public required string ConversionJson { get; init; }

    /// <summary>The object file's <c>lineage</c> (JSON): the import provenance, as the small-file path records it.</summary>
    [Id(6)] public string? LineageJson { get; init; }

    /// <summary>The table's description.</summary>
    [Id(7)] public string? Description { get; init; }

    /// <summary>The chunks.</summary>
    [Id(8)] public required ImportChunkPlan[] Chunks { get; init; }

    /// <summary>What to do with bad rows.</summary>
    [Id(9)] public ImportErrorPolicy ErrorPolicy { get; init; }

    /// <summary>Attempts per chunk before the job fails. Default: 3.</summary>
    [Id(10)] public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a chunk lease lasts without renewal. Default: 30 s.</summary>
    [Id(11)] public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When it was submitted.</summary>
    [Id(12)] public DateTimeOffset Submitted { get; init; }

    /// <summary>Arrow compression of the chunk files ("none", "lz4", "zstd").</summary>
    [Id(13)] public string Compression { get; init; } = "none";
}

/// <summary>
/// A converted chunk, committed once: its Arrow file (relative to the table folder, unique to chunk and attempt), its
/// rows, the schema it was written with, and under <see cref="ImportErrorPolicy.Fail"/> the error that stopped it.
/// </summary>
/// <param name="OperationId">Unique per conversion: a retried commit carries the same id.</param>
/// <param name="Attempt">The lease attempt that produced it.</param>
/// <param name="Token">The lease token.</param>
/// <param name="ChunkUrl">The chunk file relative to the table folder (null when the chunk has no rows or failed).</param>
/// <param name="Rows">Rows converted.</param>
/// <param name="Bytes">The chunk file's size.</param>
/// <param name="Batches">Rows per record batch in the file.</param>
/// <param name="Error">The chunk's first bad row, naming file and line/row, under the fail policy (nothing else is kept).</param>
/// <param name="QuarantineUrl">Under the skip policy, the Arrow file listing the chunk's bad rows (relative to the quarantine table folder).</param>
/// <param name="QuarantinedRows">How many rows it lists.</param>
/// <param name="QuarantineBytes">Its size in bytes.</param>
/// <param name="QuarantineBatches">Rows per record batch in it.</param>
[GenerateSerializer, Immutable]
public sealed record ImportChunkCommit(
    [property: Id(0)] string OperationId,
    [property: Id(1)] int Attempt,
    [property: Id(2)] string Token,
    [property: Id(3)] string? ChunkUrl,
    [property: Id(4)] long Rows,
    [property: Id(5)] long Bytes,
    [property: Id(6)] int[] Batches,
    [property: Id(7)] string? Error,
    [property: Id(8)] string? QuarantineUrl,
    [property: Id(9)] long QuarantinedRows,
    [property: Id(10)] long QuarantineBytes,
    [property: Id(11)] int[] QuarantineBatches);

/// <summary>A chunk's state as its grain reports it.</summary>
/// <param name="Index">The chunk's index.</param>
/// <param name="Lease">Its lease state.</param>
/// <param name="Commit">The accepted commit, once there is one.</param>
[GenerateSerializer, Immutable]
public sealed record ImportChunkInfo([property: Id(0)] int Index, [property: Id(1)] LeaseState Lease, [property: Id(2)] ImportChunkCommit? Commit);

/// <summary>An import job's progress.</summary>
[GenerateSerializer, Immutable]
public sealed record ImportProgress
{
    /// <summary>The job id.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>Where it is.</summary>
    [Id(1)] public JobStatus Status { get; init; }

    /// <summary>Chunks in all.</summary>
    [Id(2)] public int Chunks { get; init; }

    /// <summary>Chunks committed.</summary>
    [Id(3)] public int ChunksCommitted { get; init; }

    /// <summary>Chunks leased now.</summary>
    [Id(4)] public int ChunksLeased { get; init; }

    /// <summary>Rows converted in committed chunks.</summary>
    [Id(5)] public long RowsCommitted { get; init; }

    /// <summary>Source bytes in all.</summary>
    [Id(6)] public long Bytes { get; init; }

    /// <summary>Source bytes of committed chunks.</summary>
    [Id(7)] public long BytesCommitted { get; init; }

    /// <summary>Committed rows per second since the first lease.</summary>
    [Id(8)] public double RowsPerSecond { get; init; }

    /// <summary>Estimated time left (by bytes).</summary>
    [Id(9)] public TimeSpan? Eta { get; init; }

    /// <summary>The published table, once completed.</summary>
    [Id(10)] public string? TableUrl { get; init; }

    /// <summary>The quarantine table (skip policy), once published and when rows were skipped.</summary>
    [Id(11)] public string? QuarantineTableUrl { get; init; }

    /// <summary>Errors found so far (chunks' bad rows, failed attempts when the job failed).</summary>
    [Id(12)] public string[] Errors { get; init; } = [];

    /// <summary>Rows skipped so far (skip policy).</summary>
    [Id(13)] public long RowsQuarantined { get; init; }

    /// <summary>When it was submitted.</summary>
    [Id(14)] public DateTimeOffset Submitted { get; init; }

    /// <summary>When it finished.</summary>
    [Id(15)] public DateTimeOffset? Finished { get; init; }

    /// <summary>Leases that expired (workers that died or stalled).</summary>
    [Id(16)] public int LeaseExpirations { get; init; }

    /// <summary>Chunk attempts beyond the first.</summary>
    [Id(17)] public int Retries { get; init; }

    /// <summary>True when the job ended (completed, failed or cancelled).</summary>
    public bool IsFinished => Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;
}

/// <summary>
/// One chunk of an import (key "job/index"): hosts the lease/commit protocol for it. The first valid commit wins, a
/// repeat is a no-op, so a chunk is converted and counted once whatever dies.
/// </summary>
public interface IImportChunkGrain : IGrainWithStringKey
{
    /// <summary>Sets the chunk's plan (idempotent).</summary>
    Task InitAsync(string jobId, int index, int maxAttempts, TimeSpan leaseDuration);

    /// <summary>Leases the chunk to <paramref name="worker"/> when it is available.</summary>
    Task<LeaseGrant?> TryLeaseAsync(WorkerRef worker);

    /// <summary>Extends a lease.</summary>
    Task<RenewOutcome> RenewAsync(string token);

    /// <summary>Commits a converted chunk: first valid commit wins, a repeat is a no-op.</summary>
    Task<CommitResult> CommitAsync(ImportChunkCommit commit);

    /// <summary>Reports that the lease holder failed (an I/O error, not a bad row).</summary>
    Task ReportFailureAsync(string token, string error);

    /// <summary>Returns a failed (not committed) chunk to pending with fresh attempts.</summary>
    Task ResetAsync();

    /// <summary>Stops the chunk: no more leases, commits are rejected.</summary>
    Task CancelAsync();

    /// <summary>The chunk's state.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<ImportChunkInfo> GetAsync();
}

/// <summary>
/// An import job (key: job id): the plan, lease hand-out in batches, durable progress, and publication of the table
/// (metadata only: the object file lists the committed chunk files in chunk order, written last, create-if-absent).
/// </summary>
public interface IImportJobGrain : IGrainWithStringKey
{
    /// <summary>Submits the job (a repeat with the same id is a no-op).</summary>
    Task<ImportProgress> SubmitAsync(ImportJobSpec spec);

    /// <summary>The job's spec, or null for an unknown job.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<ImportJobSpec?> GetSpecAsync();

    /// <summary>Leases up to <paramref name="max"/> chunks to <paramref name="worker"/>.</summary>
    [AlwaysInterleave]
    Task<LeaseGrant[]> LeaseAsync(WorkerRef worker, int max);

    /// <summary>Told by a chunk grain that chunk <paramref name="index"/> changed (with its committed rows and bad-row error).</summary>
    [AlwaysInterleave]
    Task ChunkChangedAsync(int index, WorkStatus status, long rows, string? error);

    /// <summary>The job's progress.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<ImportProgress> GetProgressAsync();

    /// <summary>The progress as soon as the job has ended, or after <paramref name="maxWait"/> (a long poll).</summary>
    [ReadOnly, AlwaysInterleave]
    Task<ImportProgress> WaitForEndAsync(TimeSpan maxWait);

    /// <summary>Cancels the job: no more leases, nothing is published, staged chunk files are deleted.</summary>
    Task<ImportProgress> CancelAsync();

    /// <summary>Retries a failed job: chunks whose attempts ran out return to pending (chunks that found bad rows stay as they are).</summary>
    Task<ImportProgress> RetryAsync();
}
