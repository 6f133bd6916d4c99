using Tlc.Cluster;

namespace Tlc;

/// <summary>Following a job to its end with long polls, as every job kind's client does.</summary>
internal static class JobWaiting
{
    /// <summary>
    /// Calls <paramref name="waitForEnd"/> (a long poll returning at once when the job ends, else after one interval with
    /// the progress so far) until the job's status is final, reporting each answer; a cluster that does not answer (a
    /// silo went away) is asked again, since job state is durable — until <paramref name="reachability"/> has reached no
    /// silo for its reconnect timeout.
    /// </summary>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <see cref="ClusterReachability.ReconnectTimeout"/>.</exception>
    public static async Task<T> UntilEndAsync<T>(Func<TimeSpan, Task<T>> waitForEnd, Func<T, JobStatus> status, IProgress<T>? progress, TimeSpan interval,
        ClusterReachability? reachability, CancellationToken cancellationToken)
    {
        while (true)
        {
            T current;
            try
            {
                current = await waitForEnd(interval).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (TransientClusterErrors.IsTransient(e))
            {
                reachability?.ThrowIfGivenUp();
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
                continue;
            }
            progress?.Report(current);
            if (status(current) is JobStatus.Completed or JobStatus.Failed or JobStatus.Cancelled)
            {
                return current;
            }
        }
    }
}
