using System.Diagnostics;
using Tlc.Cluster;
using Tlc.Diagnostics;
using Tlc.Tables.Import.Jobs;

namespace Tlc.Workers;

/// <summary>One leased chunk of an import job to convert.</summary>
/// <param name="Job">The job's spec.</param>
/// <param name="Chunk">The chunk's plan.</param>
/// <param name="Lease">The lease.</param>
public sealed record ImportChunkTask(ImportJobSpec Job, ImportChunkPlan Chunk, LeaseGrant Lease);

/// <summary>
/// Import jobs: the worker converts leased chunks (<see cref="ImportJobs.ConvertAsync"/>: reads its byte range or row
/// group through the URL adapters, writes one staged chunk file unique to chunk and attempt) while renewing the lease,
/// and commits the result with an operation id. Bad rows are part of the result (the job decides); I/O failures are
/// reported so the chunk is retried elsewhere.
/// </summary>
public sealed partial class WorkerHost
{
    private long _chunksConverted;
    private long _importBytesStarted;

    /// <summary>Import chunks this worker converted and committed (accepted or not).</summary>
    public long ChunksConverted => Interlocked.Read(ref _chunksConverted);

    /// <summary>Source bytes of every chunk conversion this worker started, finished or not (what it read at most): the resume-cost figure.</summary>
    public long ImportBytesStarted => Interlocked.Read(ref _importBytesStarted);

    /// <summary>Called after a chunk is converted and before it is committed (for fault-injection tests: stall, crash).</summary>
    public Func<ImportChunkTask, CancellationToken, Task>? BeforeImportCommit { get; init; }

    private async Task<List<ImportChunkTask>> LeaseImportAsync(string jobId, int max, CancellationToken cancellationToken)
    {
        var job = _context.Client.GetGrain<IImportJobGrain>(jobId);
        if (!_importSpecs.TryGetValue(jobId, out var spec))
        {
            spec = await Call(() => job.GetSpecAsync(), cancellationToken).ConfigureAwait(false);
            if (spec is null)
            {
                return [];
            }
            _importSpecs[jobId] = spec;
        }
        var grants = await Call(() => job.LeaseAsync(Identity, max), cancellationToken).ConfigureAwait(false) ?? [];
        return grants.Select(g => new ImportChunkTask(spec, spec.Chunks[g.Item], g)).ToList();
    }

    private async Task ProcessImportAsync(ImportChunkTask task, int parallelism, CancellationToken cancellationToken)
    {
        var chunk = _context.Client.GetGrain<IImportChunkGrain>($"{task.Job.JobId}/{task.Chunk.Index}");
        using var work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewal = RenewLoopAsync(() => chunk.RenewAsync(task.Lease.Token), task.Lease, work);
        var watch = Stopwatch.StartNew();
        ImportChunkConversion? conversion = null;
        // Until the commit is sent, and when it lost, the staged file is nobody's; once it may have been accepted, it stays.
        var deleteStaged = true;
        var writeId = ImportJobs.WriteId(task.Job.JobId, task.Chunk.Index, task.Lease.Attempt, task.Lease.Token);
        TlcMetrics.ItemStarted(TlcMetrics.Imports);
        try
        {
            Interlocked.Add(ref _importBytesStarted, task.Chunk.Bytes);
            conversion = await Task.Run(() => ImportJobs.ConvertAsync(task.Job, task.Chunk, writeId, _context.Adapters, cancellationToken: work.Token, parallelism: parallelism), work.Token)
                .ConfigureAwait(false);
            if (BeforeImportCommit is { } hook)
            {
                await hook(task, work.Token).ConfigureAwait(false);
            }
            var file = conversion.File;
            var commit = new ImportChunkCommit(Guid.NewGuid().ToString("N"), task.Lease.Attempt, task.Lease.Token, file?.Url, conversion.Rows,
                file?.Bytes ?? 0, file?.Batches.ToArray() ?? [], conversion.Error, conversion.Quarantine?.Url, conversion.Quarantine?.Rows ?? 0,
                conversion.Quarantine?.Bytes ?? 0, conversion.Quarantine?.Batches.ToArray() ?? []);
            deleteStaged = false;
            var result = await CommitWithRetriesAsync(() => chunk.CommitAsync(commit), cancellationToken).ConfigureAwait(false);
            deleteStaged = result.Outcome is CommitOutcome.Superseded or CommitOutcome.Rejected;
            await work.CancelAsync().ConfigureAwait(false);
            Interlocked.Increment(ref _chunksConverted);
            LogChunkCommitted(_logger, Identity.ToString(), task.Job.JobId, task.Chunk.Index, task.Lease.Attempt, result.Outcome, conversion.Rows, watch.Elapsed.TotalSeconds);
            if (result.Outcome is CommitOutcome.Accepted or CommitOutcome.Duplicate)
            {
                TlcMetrics.ItemDone(TlcMetrics.Imports, conversion.Rows, watch.Elapsed);
            }
            if (result.Outcome == CommitOutcome.Rejected)
            {
                throw new InvalidOperationException(result.Reason ?? "the commit was rejected");
            }
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            LogLeaseLost(_logger, Identity.ToString(), task.Job.JobId, task.Chunk.Index, task.Lease.Attempt);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease expires and the chunk is converted elsewhere.
        }
        catch (Exception e)
        {
            LogChunkFailed(_logger, e, Identity.ToString(), task.Job.JobId, task.Chunk.Index, task.Lease.Attempt);
            try
            {
                await chunk.ReportFailureAsync(task.Lease.Token, $"{e.GetType().Name}: {e.Message}").WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception report) when (TransientClusterErrors.IsTransient(report))
            {
                // The lease expires instead.
            }
        }
        finally
        {
            TlcMetrics.ItemEnded(TlcMetrics.Imports);
            await work.CancelAsync().ConfigureAwait(false);
            await renewal.ConfigureAwait(false);
            if (deleteStaged && conversion?.File is { } staged)
            {
                await DeleteQuietlyAsync(new Url(task.Job.TableUrl).Join(staged.Url)).ConfigureAwait(false);
            }
            if (deleteStaged && conversion?.Quarantine is { } quarantined)
            {
                await DeleteQuietlyAsync(ImportJobs.QuarantineUrl(task.Job).Join(quarantined.Url)).ConfigureAwait(false);
            }
            if (deleteStaged && conversion?.File is not null && ImportJobs.BulkFolder(task.Job, writeId) is { } bulk)
            {
                await DeleteQuietlyAsync(bulk).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Commits, retrying with the same operation id while the cluster does not answer (a silo died?): a repeat has one effect.</summary>
    private async Task<CommitResult> CommitWithRetriesAsync(Func<Task<CommitResult>> commit, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await commit().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when ((attempt < _options.CommitAttempts || _context.Reachability?.Outage is not null) && TransientClusterErrors.IsTransient(e)
                && !cancellationToken.IsCancellationRequested)
            {
                // The cluster did not answer (a silo died?): the same operation id again has one effect. While no silo is
                // reached at all (it restarts), the worker waits for it rather than giving the result up.
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(attempt, 5)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task DeleteQuietlyAsync(Url file)
    {
        try
        {
            await _context.Adapters.DeleteAsync(file, CancellationToken.None).ConfigureAwait(false);
        }
        catch (IOException)
        {
            // tlc gc removes what no object references.
        }
    }
}
