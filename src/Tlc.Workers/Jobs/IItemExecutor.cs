using Tlc.Cluster;

namespace Tlc.Workers;

/// <summary>
/// What differs between job kinds on a worker (everything else — polling the queue, leasing, renewing, committing with
/// retries, reporting failures, draining — is the worker loop's, <see cref="WorkerHost"/>): doing one leased item's work
/// and saying what to commit, deleting what a lost result staged, and telling permanent errors from passing ones.
/// </summary>
public interface IItemExecutor
{
    /// <summary>The job kind it runs (<see cref="JobKinds"/>).</summary>
    string Kind { get; }

    /// <summary>Items it works on at once.</summary>
    int Slots { get; }

    /// <summary>Items leased ahead of the ones being worked on (each waits for a free slot, its lease renewed), so the next starts without a round trip.</summary>
    int Prefetch { get; }

    /// <summary>Does the item's work (writing its result files) and returns the commit that names them; throws on failure.</summary>
    Task<ItemCommit> ExecuteAsync(ItemTask task, CancellationToken cancellationToken);

    /// <summary>Deletes what <paramref name="result"/> staged: its commit lost (another attempt's result won) or was never sent.</summary>
    Task DiscardAsync(ItemTask task, ItemCommit result, CancellationToken cancellationToken);

    /// <summary>True when another attempt at the item cannot succeed (the spec itself is wrong: a missing model file, an unknown collector).</summary>
    bool IsPermanent(Exception error);

    /// <summary>Told when a job is no longer active, so what was loaded for it (models, tables) can go.</summary>
    void Forget(string jobId)
    {
    }
}

/// <summary>One leased item to work on.</summary>
/// <param name="Job">The job's spec.</param>
/// <param name="Plan">The item's plan (sent with the lease, or implied by the spec).</param>
/// <param name="Lease">The lease.</param>
public sealed record ItemTask(JobSpec Job, WorkItemPlan Plan, LeaseGrant Lease)
{
    /// <summary>The item's index in its job.</summary>
    public int Item => Lease.Item;

    /// <summary>A name unique to the item and this attempt (for staged files).</summary>
    public string WriteId => $"{Job.JobId[..Math.Min(8, Job.JobId.Length)]}-{Job.ItemNoun[0]}{Item:D5}-a{Lease.Attempt}-{Lease.Token[..Math.Min(8, Lease.Token.Length)]}";
}

/// <summary>
/// A job's spec says the job cannot work (its input table was overwritten, a schema does not fit): another attempt cannot
/// succeed, so the item fails at once.
/// </summary>
public sealed class JobSpecException(string message, Exception? inner = null) : InvalidOperationException(message, inner);
