using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Diagnostics;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Grains.Imports;

/// <summary>
/// An import job. Holds the spec (with the chunk plan) and a view of each chunk's status, rebuilt from the chunk grains
/// on activation, so progress survives any restart and committed chunks are never handed out again. Leases go out in
/// batches; leases whose deadline passed are reclaimed when workers ask for more. When every chunk is committed the job
/// publishes the table: the object file lists the chunk files in chunk order (metadata only), written last with
/// create-if-absent; under the fail policy a chunk that found a bad row fails the job with every such error instead.
/// </summary>
internal sealed partial class ImportJobGrain(
    [PersistentState("import", TlcGrainNames.Storage)] IPersistentState<ImportJobState> state,
    UrlAdapterRegistry adapters,
    TimeProvider time,
    ILogger<ImportJobGrain> logger) : Grain, IImportJobGrain
{
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);

    private ImportJobState Job => state.State;
    private readonly LeasedItemsView _chunks = new(TlcMetrics.Imports);
    private bool _publishing;
    private bool _starting;
    private TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private bool HasEnded => Job.Status is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled;

    private IImportChunkGrain ChunkGrain(string jobId, int index) => GrainFactory.GetGrain<IImportChunkGrain>(TlcGrainNames.PartKey(jobId, index));

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is { } spec)
        {
            await RebuildViewAsync(spec);
            if (Job.Status is JobStatus.Pending or JobStatus.Running or JobStatus.Publishing && _chunks.AllCommitted)
            {
                SchedulePublish();
            }
        }
        await base.OnActivateAsync(cancellationToken);
    }

    public async Task<ImportProgress> SubmitAsync(ImportJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Job.Spec is { } existing)
        {
            if (existing.SourceUrl != spec.SourceUrl || existing.TableUrl != spec.TableUrl || existing.Chunks.Length != spec.Chunks.Length)
            {
                throw new InvalidOperationException($"Import job {spec.JobId} exists with another spec.");
            }
            return Progress();
        }
        if (spec.Chunks.Length == 0)
        {
            throw new ArgumentException($"Import job {spec.JobId} has no chunks.", nameof(spec));
        }
        Job.Spec = spec;
        Job.Status = JobStatus.Pending;
        await state.WriteStateAsync();
        await Task.WhenAll(spec.Chunks.Select(c => ChunkGrain(spec.JobId, c.Index).InitAsync(spec.JobId, c.Index, spec.MaxAttempts, spec.LeaseDuration)));
        _chunks.Reset(spec.Chunks.Length);
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.ImportQueue).EnqueueAsync(spec.JobId);
        LogSubmitted(logger, spec.JobId, spec.Format, spec.SourceUrl, spec.TableUrl, spec.Chunks.Length, spec.Chunks.Sum(c => c.Bytes));
        return Progress();
    }

    public Task<ImportJobSpec?> GetSpecAsync() => Task.FromResult(Job.Spec);

    public async Task<LeaseGrant[]> LeaseAsync(WorkerRef worker, int max)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (Job.Spec is not { } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running) || max <= 0)
        {
            return [];
        }
        var now = time.GetUtcNow();
        var grants = await _chunks.LeaseAsync(max, now, index => ChunkGrain(spec.JobId, index).TryLeaseAsync(worker), async index =>
        {
            // Refused: the chunk's own state disagreed with the view (or it failed on expiry).
            var info = await ChunkGrain(spec.JobId, index).GetAsync();
            return (info.Lease, info.Commit?.Rows ?? 0, info.Commit?.Error);
        });
        if (grants.Count > 0 && Job.Status == JobStatus.Pending && !_starting)
        {
            _starting = true;
            Job.Status = JobStatus.Running;
            Job.Started = now;
            await state.WriteStateAsync();
        }
        await CheckFailedAsync();
        return [.. grants];
    }

    public async Task ChunkChangedAsync(int index, WorkStatus status, long rows, string? error)
    {
        if (index < 0 || index >= _chunks.Count)
        {
            return;
        }
        _chunks.Apply(index, status, status == WorkStatus.Leased ? _chunks.DeadlineOf(index) : default, rows, error);
        if (status == WorkStatus.Failed)
        {
            await CheckFailedAsync();
        }
        else if (status == WorkStatus.Committed && Job.Status is JobStatus.Pending or JobStatus.Running && _chunks.AllCommitted)
        {
            SchedulePublish();
        }
    }

    public Task<ImportProgress> GetProgressAsync() => Task.FromResult(Progress());

    public async Task<ImportProgress> WaitForEndAsync(TimeSpan maxWait)
    {
        if (!HasEnded && maxWait > TimeSpan.Zero)
        {
            await Task.WhenAny(_ended.Task, Task.Delay(maxWait < LongestWait ? maxWait : LongestWait, time));
        }
        return Progress();
    }

    public async Task<ImportProgress> CancelAsync()
    {
        if (Job.Spec is not { } spec || HasEnded)
        {
            return Progress();
        }
        await Task.WhenAll(Enumerable.Range(0, _chunks.Count).Select(i => ChunkGrain(spec.JobId, i).CancelAsync()));
        await DeleteStagedAsync(spec);
        await FinishAsync(JobStatus.Cancelled);
        return Progress();
    }

    public async Task<ImportProgress> RetryAsync()
    {
        if (Job.Spec is not { } spec || Job.Status != JobStatus.Failed)
        {
            return Progress();
        }
        await Task.WhenAll(_chunks.IndexesOf(WorkStatus.Failed).Select(i => ChunkGrain(spec.JobId, i).ResetAsync()));
        await RebuildViewAsync(spec);
        Job.Status = _chunks.AllCommitted ? JobStatus.Publishing : JobStatus.Running;
        if (_ended.Task.IsCompleted)
        {
            _ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        Job.Errors.Clear();
        Job.Finished = null;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.ImportQueue).EnqueueAsync(spec.JobId);
        if (Job.Status == JobStatus.Publishing)
        {
            SchedulePublish();
        }
        return Progress();
    }

    private async Task RebuildViewAsync(ImportJobSpec spec)
    {
        var infos = await Task.WhenAll(Enumerable.Range(0, spec.Chunks.Length).Select(i => ChunkGrain(spec.JobId, i).GetAsync()));
        _chunks.Rebuild([.. infos.Select(i => (i.Lease, i.Commit?.Rows ?? 0, i.Commit?.Error))]);
    }

    private async Task CheckFailedAsync()
    {
        if (Job.Spec is not { } spec || Job.Status is not (JobStatus.Pending or JobStatus.Running) || _chunks.Failed == 0)
        {
            return;
        }
        var failed = _chunks.IndexesOf(WorkStatus.Failed).ToList();
        var infos = await Task.WhenAll(failed.Select(i => ChunkGrain(spec.JobId, i).GetAsync()));
        Job.Errors = infos.SelectMany(i => i.Lease.Errors.Select(e => $"chunk {i.Index}: {e}")).ToList();
        await FinishAsync(JobStatus.Failed);
    }

    private void SchedulePublish()
    {
        if (_publishing)
        {
            return;
        }
        _publishing = true;
        // Publish in a turn of its own, not inside the chunk grain's call that reported the last commit.
        this.RegisterGrainTimer(PublishAsync, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        if (Job.Spec is not { } spec || HasEnded)
        {
            return;
        }
        try
        {
            Job.Status = JobStatus.Publishing;
            await state.WriteStateAsync(cancellationToken);
            var infos = await Task.WhenAll(Enumerable.Range(0, spec.Chunks.Length).Select(i => ChunkGrain(spec.JobId, i).GetAsync()));
            var commits = infos.OrderBy(i => i.Index).Select(i => i.Commit ?? throw new InvalidOperationException($"chunk {i.Index} has no commit")).ToList();
            var badRows = commits.Select((c, i) => (c.Error, Index: i)).Where(e => e.Error is not null).ToList();
            if (badRows.Count > 0)
            {
                Job.Errors = [.. badRows.Select(e => e.Error!)];
                await DeleteStagedAsync(spec);
                await FinishAsync(JobStatus.Failed);
                return;
            }
            var url = new Url(spec.TableUrl);
            var table = ImportJobs.BuildObject(spec, commits, time.GetUtcNow());
            var quarantined = commits.Sum(c => c.QuarantinedRows);
            if (quarantined > 0)
            {
                // The quarantine table first, so the table never names one that is not there.
                var quarantine = ImportJobs.QuarantineUrl(spec);
                await PublishOnceAsync(spec, quarantine, ImportJobs.BuildQuarantineObject(spec, commits, time.GetUtcNow()));
                table.Properties!["quarantine_table"] = quarantine.Value;
                Job.QuarantineTableUrl = quarantine.Value;
                Job.RowsQuarantined = quarantined;
            }
            await PublishOnceAsync(spec, url, table);
            Job.TableUrl = url.Value;
            await FinishAsync(JobStatus.Completed);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException)
        {
            Job.Errors = [e.Message];
            await FinishAsync(JobStatus.Failed);
        }
        finally
        {
            _publishing = false;
        }
    }

    /// <summary>Publishes <paramref name="table"/> at <paramref name="url"/> unless this job published it before a crash.</summary>
    private async Task PublishOnceAsync(ImportJobSpec spec, Url url, TableObject table)
    {
        try
        {
            await ObjectFiles.PublishAsync(adapters, url, table, WriteMode.CreateNew, CancellationToken.None);
        }
        catch (UrlAlreadyExistsException)
        {
            var existing = await ObjectFiles.ReadAsync(adapters, url, CancellationToken.None);
            if (existing.Properties?.GetValueOrDefault("import_job") != spec.JobId)
            {
                throw new InvalidOperationException($"another table was published at {url} meanwhile; nothing is published");
            }
        }
    }

    /// <summary>Deletes the chunk files committed chunks staged (a cancelled or failed import publishes nothing and leaves nothing).</summary>
    private async Task DeleteStagedAsync(ImportJobSpec spec)
    {
        var infos = await Task.WhenAll(Enumerable.Range(0, spec.Chunks.Length).Select(i => ChunkGrain(spec.JobId, i).GetAsync()));
        var table = new Url(spec.TableUrl);
        var quarantine = ImportJobs.QuarantineUrl(spec);
        var files = infos.Select(i => i.Commit?.ChunkUrl).OfType<string>().Select(table.Join)
            .Concat(infos.Select(i => i.Commit?.QuarantineUrl).OfType<string>().Select(quarantine.Join))
            .Concat(infos.Where(i => i.Commit is { ChunkUrl: not null })
                .Select(i => ImportJobs.BulkFolder(spec, ImportJobs.WriteId(spec.JobId, i.Index, i.Commit!.Attempt, i.Commit.Token))).OfType<Url>());
        foreach (var file in files)
        {
            try
            {
                await adapters.DeleteAsync(file, CancellationToken.None);
            }
            catch (IOException e)
            {
                LogCleanupFailed(logger, e, spec.JobId, file.Value);
            }
        }
    }

    private async Task DeletePlanFilesAsync(ImportJobSpec spec)
    {
        try
        {
            await ImportJobs.DeletePlanFilesAsync(spec, adapters, CancellationToken.None);
        }
        catch (IOException e)
        {
            LogCleanupFailed(logger, e, spec.JobId, "plan files");
        }
    }

    private async Task FinishAsync(JobStatus status)
    {
        if (status != JobStatus.Failed || _chunks.Failed == 0)
        {
            // The plan's side files (COCO) are needed until no chunk can be converted again: a job that failed for chunks
            // out of attempts can be retried; one that completed, was cancelled or failed on bad rows cannot.
            await DeletePlanFilesAsync(Job.Spec!);
        }
        Job.Status = status;
        Job.Finished = time.GetUtcNow();
        TlcMetrics.JobEnded(TlcMetrics.Imports, status, Job.Started, Job.Finished);
        await state.WriteStateAsync();
        _ended.TrySetResult();
        await GrainFactory.GetGrain<IJobQueueGrain>(TlcGrainNames.ImportQueue).RemoveAsync(Job.Spec!.JobId);
        LogFinished(logger, Job.Spec.JobId, status, Job.Errors.FirstOrDefault());
    }

    private ImportProgress Progress()
    {
        var spec = Job.Spec;
        var bytes = spec?.Chunks.Sum(c => c.Bytes) ?? 0;
        var bytesCommitted = spec is null ? 0 : _chunks.IndexesOf(WorkStatus.Committed).Sum(i => spec.Chunks[i].Bytes);
        var rows = _chunks.CommittedRows;
        var elapsed = Job.Started is { } started ? ((Job.Finished ?? time.GetUtcNow()) - started).TotalSeconds : 0;
        var byteRate = elapsed > 0 ? bytesCommitted / elapsed : 0;
        return new ImportProgress
        {
            JobId = spec?.JobId ?? this.GetPrimaryKeyString(),
            Status = Job.Status,
            Chunks = _chunks.Count,
            ChunksCommitted = _chunks.Committed,
            ChunksLeased = _chunks.CountOf(WorkStatus.Leased),
            RowsCommitted = rows,
            Bytes = bytes,
            BytesCommitted = bytesCommitted,
            RowsPerSecond = elapsed > 0 ? rows / elapsed : 0,
            Eta = byteRate > 0 && bytesCommitted < bytes && !HasEnded ? TimeSpan.FromSeconds((bytes - bytesCommitted) / byteRate) : null,
            TableUrl = Job.TableUrl,
            QuarantineTableUrl = Job.QuarantineTableUrl,
            RowsQuarantined = Job.RowsQuarantined,
            Errors = HasEnded ? [.. Job.Errors] : [.. Enumerable.Range(0, _chunks.Count).Select(_chunks.ErrorOf).OfType<string>()],
            Submitted = spec?.Submitted ?? default,
            Finished = Job.Finished,
            LeaseExpirations = _chunks.Expirations,
            Retries = _chunks.Retries,
        };
    }
}
