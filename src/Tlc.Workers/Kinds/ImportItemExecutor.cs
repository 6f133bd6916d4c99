using Tlc.Cluster;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;

namespace Tlc.Workers;

/// <summary>One leased chunk of an import job to convert.</summary>
/// <param name="Job">The job's spec.</param>
/// <param name="Chunk">The chunk's plan.</param>
/// <param name="Lease">The lease.</param>
public sealed record ImportChunkTask(ImportJobSpec Job, ImportChunkPlan Chunk, LeaseGrant Lease);

/// <summary>
/// Import chunks (<see cref="JobKinds.Import"/>): converts a chunk (<see cref="ImportJobs.ConvertAsync"/>: reads its byte
/// range or row group through the URL adapters, writes one staged chunk file unique to chunk and attempt) and commits
/// it. Bad rows are part of the result (the job decides at publication); I/O failures are thrown so the chunk is retried.
/// The conversion threads are shared among the chunks converting at once.
/// </summary>
public sealed class ImportItemExecutor(UrlAdapterRegistry adapters, int slots = 1, int conversionThreads = 0) : IItemExecutor
{
    private long _bytesStarted;
    private int _converting;

    /// <inheritdoc />
    public string Kind => JobKinds.Import;

    /// <inheritdoc />
    public int Slots { get; } = Math.Max(1, slots);

    /// <inheritdoc />
    /// <remarks>None: a chunk leased ahead would wait while another worker idles at the end of a job, and chunks are large.</remarks>
    public int Prefetch => 0;

    /// <summary>Threads chunks convert with (shared among the chunks converting at once). Default: the machine's cores.</summary>
    public int ConversionThreads { get; } = conversionThreads > 0 ? conversionThreads : Environment.ProcessorCount;

    /// <summary>Source bytes of every conversion started, finished or not (what it read at most): the resume-cost figure.</summary>
    public long BytesStarted => Interlocked.Read(ref _bytesStarted);

    /// <summary>Called after a chunk is converted and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ImportChunkTask, CancellationToken, Task>? BeforeCommit { get; init; }

    /// <inheritdoc />
    public async Task<ItemCommit> ExecuteAsync(ItemTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var chunkTask = Chunk(task);
        var writeId = ImportJobs.WriteId(task.Job.JobId, task.Item, task.Lease.Attempt, task.Lease.Token);
        Interlocked.Add(ref _bytesStarted, chunkTask.Chunk.Bytes);
        var converting = Interlocked.Increment(ref _converting);
        ImportChunkConversion conversion;
        try
        {
            // Parallel parsing inside a chunk only where it converts alone.
            var parallelism = Math.Max(1, ConversionThreads / Math.Max(1, converting));
            conversion = await Task.Run(() => ImportJobs.ConvertAsync(chunkTask.Job, chunkTask.Chunk, writeId, adapters, cancellationToken: cancellationToken, parallelism: parallelism),
                cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _converting);
        }
        var commit = new ImportChunkCommit
        {
            Item = task.Item,
            OperationId = Guid.NewGuid().ToString("N"),
            Attempt = task.Lease.Attempt,
            Token = task.Lease.Token,
            Rows = conversion.Rows,
            Error = conversion.Error,
            ChunkUrl = conversion.File?.Url,
            Bytes = conversion.File?.Bytes ?? 0,
            Batches = conversion.File?.Batches.ToArray() ?? [],
            QuarantineUrl = conversion.Quarantine?.Url,
            QuarantinedRows = conversion.Quarantine?.Rows ?? 0,
            QuarantineBytes = conversion.Quarantine?.Bytes ?? 0,
            QuarantineBatches = conversion.Quarantine?.Batches.ToArray() ?? [],
        };
        if (BeforeCommit is { } hook)
        {
            try
            {
                await hook(chunkTask, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await DiscardAsync(task, commit, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
        }
        return commit;
    }

    /// <inheritdoc />
    public async Task DiscardAsync(ItemTask task, ItemCommit result, CancellationToken cancellationToken)
    {
        var spec = (ImportJobSpec)task.Job;
        var commit = (ImportChunkCommit)result;
        if (commit.ChunkUrl is { } staged)
        {
            await adapters.DeleteAsync(new Url(spec.TableUrl).Join(staged), cancellationToken).ConfigureAwait(false);
            if (ImportJobs.BulkFolder(spec, ImportJobs.WriteId(spec.JobId, task.Item, task.Lease.Attempt, task.Lease.Token)) is { } bulk)
            {
                await adapters.DeleteAsync(bulk, cancellationToken).ConfigureAwait(false);
            }
        }
        if (commit.QuarantineUrl is { } quarantined)
        {
            await adapters.DeleteAsync(ImportJobs.QuarantineUrl(spec).Join(quarantined), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public bool IsPermanent(Exception error) => error is JobSpecException;

    private static ImportChunkTask Chunk(ItemTask task) => new((ImportJobSpec)task.Job, (ImportChunkPlan)task.Plan, task.Lease);
}
