using Tlc.Cluster;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import.Jobs;

namespace Tlc.Workers;

/// <summary>
/// Imports a source as a job in one call: connects to the configured cluster (or to the root's embedded silo, starting
/// one in this process when none runs), runs workers in this process when no worker is registered, submits the plan,
/// follows it to the published table and cancels the job when the caller cancels. The table is the one the one-process
/// importer makes from the same source and options.
/// </summary>
public static class ClusterImport
{
    /// <summary>Plans <paramref name="source"/>, runs it as an import job and returns the published table.</summary>
    /// <exception cref="Tlc.Tables.Import.ImportException">Bad input the planner read; nothing was submitted.</exception>
    /// <exception cref="JobFailedException">The job failed (every chunk's first bad row) or was cancelled.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled; the job was cancelled too (nothing published).</exception>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public static async Task<Table> ImportAsync(ImportSource source, ClusterImportOptions? options = null, IProgress<JobProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new ClusterImportOptions();
        if (options.LocalWorkers is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.LocalWorkers, "LocalWorkers must not be negative.");
        }
        var settings = options.Settings ?? source.Options.Settings ?? TlcSettings.Current;
        var jobId = options.JobId ?? Guid.NewGuid().ToString("N");
        var (plan, existing) = await source.PlanAsync(jobId, options.Job, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }
        var connection = await ClusterConnection.ConnectAsync(settings, cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var outages = options.Outages is { } observer ? connection.Reachability.Subscribe(observer) : null;
            var context = connection.Context;
            var registered = await context.Client.GetGrain<IWorkerRegistryGrain>(JobKeys.Registry).ListAsync(options.WorkerLiveness).WaitAsync(cancellationToken)
                .ConfigureAwait(false);
            var live = registered.Count(w => !w.Draining);
            var local = options.LocalWorkers ?? (live == 0 ? Math.Max(1, Environment.ProcessorCount) : 0);
            var pool = local > 0 ? InProcessWorkers.Start(context, local, options.Workers ?? new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) }) : null;
            try
            {
                var job = await ImportJob.SubmitAsync(context, plan!, cancellationToken).ConfigureAwait(false);
                options.Submitted?.Invoke(new ImportJobSubmitted(job, plan!, local, live));
                try
                {
                    return await job.WaitAsync(progress, cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // This process's workers stop first (a chunk they were converting is dropped), so that nothing is written
                    // after the cancelled job deleted what its chunks staged.
                    if (pool is not null)
                    {
                        await pool.DisposeAsync().ConfigureAwait(false);
                        pool = null;
                    }
                    using var stop = new CancellationTokenSource(options.CancelTimeout);
                    await job.CancelAsync(stop.Token).ConfigureAwait(false);
                    throw;
                }
            }
            finally
            {
                if (pool is not null)
                {
                    await pool.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }
}

/// <summary>How <see cref="ClusterImport.ImportAsync"/> runs an import job.</summary>
public sealed record ClusterImportOptions
{
    /// <summary>The settings naming the cluster (embedded, azure or redis) and the root. Default: the source options' settings, else the current settings.</summary>
    public TlcOptions? Settings { get; init; }

    /// <summary>Chunk size, error policy, attempts and lease of the job. Default: <see cref="ImportJobOptions"/>'s defaults.</summary>
    public ImportJobOptions? Job { get; init; }

    /// <summary>The job id; the same id again resumes that job or returns its table. Default: a new id.</summary>
    public string? JobId { get; init; }

    /// <summary>Workers to run in this process. Default: null, one per core when no worker is registered with the cluster, else none.</summary>
    public int? LocalWorkers { get; init; }

    /// <summary>Options of the workers run in this process. Default: a 100 ms poll interval, the rest <see cref="WorkerOptions"/>' defaults.</summary>
    public WorkerOptions? Workers { get; init; }

    /// <summary>How recently a worker must have sent a heartbeat to count as registered. Default: 15 s.</summary>
    public TimeSpan WorkerLiveness { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long cancelling the job may take when the caller cancels. Default: 10 s.</summary>
    public TimeSpan CancelTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Called once the job is submitted (e.g. to announce it or warn that no worker runs). Default: none.</summary>
    public Action<ImportJobSubmitted>? Submitted { get; init; }

    /// <summary>
    /// Told when the import reaches no silo (once the outage has lasted a second) and when a silo answers again
    /// (<see cref="ClusterReachability.Subscribe"/>). Default: none.
    /// </summary>
    public IProgress<ClusterOutage>? Outages { get; init; }
}

/// <summary>An import job was submitted.</summary>
/// <param name="Job">The job.</param>
/// <param name="Plan">Its plan.</param>
/// <param name="LocalWorkers">Workers running in this process.</param>
/// <param name="RegisteredWorkers">Other workers registered with the cluster (live, not draining).</param>
public sealed record ImportJobSubmitted(JobHandle Job, ImportPlan Plan, int LocalWorkers, int RegisteredWorkers);
