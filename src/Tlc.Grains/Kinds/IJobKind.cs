using Tlc.Cluster;

namespace Tlc.Grains.Kinds;

/// <summary>
/// What differs between job kinds on the silo (everything else — leases, segments, progress, cancel, retry, the queue —
/// is the kernel's): which commits are valid results for an item, how the result is published from the committed items,
/// and what is deleted when a job will never publish. A kind is a singleton service; it holds no per-job state.
/// </summary>
public interface IJobKind
{
    /// <summary>The kind's name (<see cref="JobKinds"/>), as <see cref="JobSpec.Kind"/> names it.</summary>
    string Name { get; }

    /// <summary>
    /// Why <paramref name="commit"/> is not a valid result for the item planned as <paramref name="plan"/> (null: items owned
    /// by writers, which have none), or null when it is. Runs in the item's segment before the commit is accepted: small
    /// checks on the commit's metadata only (ids, counts, file names), never file reads.
    /// </summary>
    string? Validate(JobSpec spec, WorkItemPlan? plan, ItemCommit commit);

    /// <summary>
    /// Publishes the job's result from its committed items (read in item order from <paramref name="job"/>), atomically and
    /// once per job (a repeat after a crash finds the published result and returns it); throws
    /// <see cref="JobRefusedException"/> naming why nothing can be published.
    /// </summary>
    Task<JobResult> PublishAsync(JobContext job, CancellationToken cancellationToken);

    /// <summary>Deletes what the committed items staged (their files), when the job will never publish (cancelled, refused).</summary>
    Task DiscardAsync(JobContext job, CancellationToken cancellationToken);

    /// <summary>Called once the job has ended and no item of it can run again (completed, cancelled, failed for good).</summary>
    Task EndedAsync(JobContext job, JobStatus status, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>What a kind's publication produced.</summary>
/// <param name="ResultUrl">The published table.</param>
/// <param name="QuarantineTableUrl">A quarantine table published beside it, if any.</param>
/// <param name="RowsQuarantined">Rows it lists.</param>
public sealed record JobResult(string ResultUrl, string? QuarantineTableUrl = null, long RowsQuarantined = 0);

/// <summary>A publication refused for good (bad rows found under the fail policy, an example id twice): nothing is published.</summary>
/// <param name="errors">Every reason, each naming what is wrong.</param>
public sealed class JobRefusedException(IReadOnlyList<string> errors) : Exception(string.Join("; ", errors))
{
    /// <summary>Every reason.</summary>
    public IReadOnlyList<string> Errors { get; } = errors;
}
