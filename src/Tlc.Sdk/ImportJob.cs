using Tlc.Cluster;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;

namespace Tlc;

/// <summary>
/// Imports as cluster jobs (<see cref="JobKinds.Import"/>): the planner runs here (reading the source once to cut it into
/// chunks), the plan goes to the one job handle (<see cref="JobHandle"/>), workers convert the chunks, and the job
/// publishes the table when every chunk is committed.
/// </summary>
public static class ImportJob
{
    /// <summary>
    /// Imports <paramref name="source"/> as a job of the cluster behind <paramref name="context"/> and waits for the table:
    /// plans here (reading the source once), submits, follows progress. The same <paramref name="jobId"/> again (a retry
    /// after the client died) attaches to the running job or returns the table it published, so one table is published.
    /// Workers must poll the cluster (see <c>ClusterImport.ImportAsync</c> in Tlc.Workers for the one call that also
    /// runs workers in this process when none is registered).
    /// </summary>
    /// <exception cref="ImportException">Bad input the planner read; nothing was submitted.</exception>
    /// <exception cref="JobFailedException">The job failed (every chunk's first bad row) or was cancelled.</exception>
    public static async Task<Table> ImportAsync(ClusterContext context, ImportSource source, ImportJobOptions? jobOptions = null,
        string? jobId = null, IProgress<JobProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(source);
        var (plan, existing) = await source.PlanAsync(jobId ?? Guid.NewGuid().ToString("N"), jobOptions, cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }
        var job = await SubmitAsync(context, plan!, cancellationToken).ConfigureAwait(false);
        return await job.WaitAsync(progress, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits a planned import (idempotent by job id).</summary>
    public static Task<JobHandle> SubmitAsync(ClusterContext context, ImportPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return JobHandle.SubmitAsync(context, plan.Spec, plan.Chunks, cancellationToken);
    }
}
