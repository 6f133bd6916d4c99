using Tlc.Cluster;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;

namespace Tlc;

/// <summary>
/// An import running as a cluster job, as a client sees it: progress, waiting, cancel, retry. The planner runs here
/// (reading the source once to cut it into chunks); workers convert the chunks; the job grain publishes the table when
/// every chunk is committed. Jobs outlive clients: <see cref="AttachAsync"/> finds one again by id.
/// </summary>
public sealed class ImportJob
{
    private readonly ClusterContext _context;

    private ImportJob(ClusterContext context, string id)
    {
        _context = context;
        Id = id;
    }

    /// <summary>The job id.</summary>
    public string Id { get; }

    private IImportJobGrain Grain => _context.Client.GetGrain<IImportJobGrain>(Id);

    /// <summary>
    /// Imports <paramref name="source"/> as a job of the cluster behind <paramref name="context"/> and waits for the table:
    /// plans here (reading the source once), submits, follows progress. The same <paramref name="jobId"/> again (a retry
    /// after the client died) attaches to the running job or returns the table it published, so one table is published.
    /// Workers must poll the cluster (see <c>ClusterImport.ImportAsync</c> in Tlc.Workers for the one call that also
    /// runs workers in this process when none is registered).
    /// </summary>
    /// <exception cref="ImportException">Bad input the planner read; nothing was submitted.</exception>
    /// <exception cref="ImportJobFailedException">The job failed (every chunk's first bad row) or was cancelled.</exception>
    public static async Task<Table> ImportAsync(ClusterContext context, ImportSource source, ImportJobOptions? jobOptions = null,
        string? jobId = null, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(source);
        var (spec, existing) = await source.PlanAsync(jobId ?? Guid.NewGuid().ToString("N"), jobOptions, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }
        var job = await SubmitAsync(context, spec!, cancellationToken).ConfigureAwait(false);
        return await job.WaitAsync(progress, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits a planned import (idempotent by job id).</summary>
    public static async Task<ImportJob> SubmitAsync(ClusterContext context, ImportJobSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(spec);
        var job = new ImportJob(context, spec.JobId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await job.Grain.SubmitAsync(spec).WaitAsync(cancellationToken).ConfigureAwait(false);
                return job;
            }
            catch (Exception e) when (attempt < 3 && TransientClusterErrors.IsTransient(e))
            {
                // Submission is idempotent by job id.
            }
        }
    }

    /// <summary>The import job <paramref name="jobId"/> (submitted by any client).</summary>
    public static async Task<ImportJob> AttachAsync(ClusterContext context, string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = new ImportJob(context, jobId);
        if (await job.Grain.GetSpecAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new KeyNotFoundException($"No import job '{jobId}'.");
        }
        return job;
    }

    /// <summary>The progress of every import job submitted (newest first).</summary>
    public static async Task<IReadOnlyList<ImportProgress>> ListAsync(ClusterContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = await context.Client.GetGrain<IJobQueueGrain>(JobQueueKeys.Imports).GetAllAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Task.WhenAll(ids.Select(id => context.Client.GetGrain<IImportJobGrain>(id).GetProgressAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The job's progress.</summary>
    public Task<ImportProgress> GetProgressAsync(CancellationToken cancellationToken = default) => Grain.GetProgressAsync().WaitAsync(cancellationToken);

    /// <summary>Cancels the job: nothing is published and its staged chunk files are deleted.</summary>
    public Task<ImportProgress> CancelAsync(CancellationToken cancellationToken = default) => Grain.CancelAsync().WaitAsync(cancellationToken);

    /// <summary>Retries a failed job: chunks whose attempts ran out are converted again; committed chunks are kept.</summary>
    public Task<ImportProgress> RetryAsync(CancellationToken cancellationToken = default) => Grain.RetryAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Waits for the job to end, reporting progress; returns the table. Cancelling the token stops waiting (the job goes
    /// on; cancel it with <see cref="CancelAsync"/>).
    /// </summary>
    /// <exception cref="ImportJobFailedException">The job failed or was cancelled.</exception>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public async Task<Table> WaitAsync(IProgress<ImportProgress>? progress = null, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var current = await JobWaiting.UntilEndAsync(Grain.WaitForEndAsync, p => p.Status, progress, interval ?? TimeSpan.FromMilliseconds(250), _context.Reachability,
            cancellationToken)
            .ConfigureAwait(false);
        return current.Status == JobStatus.Completed
            ? await Table.OpenAsync(current.TableUrl!, _context.Adapters, cancellationToken).ConfigureAwait(false)
            : throw new ImportJobFailedException(current);
    }
}

/// <summary>An import job failed (every error found: each bad chunk's first bad row, naming file and line) or was cancelled; nothing was published.</summary>
public sealed class ImportJobFailedException(ImportProgress progress)
    : InvalidOperationException($"Import job {progress.JobId} {progress.Status.ToString().ToLowerInvariant()}: {string.Join("; ", progress.Errors.Take(5))}{(progress.Errors.Length > 5 ? $" (+{progress.Errors.Length - 5} more)" : "")}")
{
    /// <summary>The job's final progress.</summary>
    public ImportProgress Progress { get; } = progress;
}
