using System.Diagnostics;

namespace Tlc;

/// <summary>
/// A client's grain calls that are safe to repeat (reads, setting a status, submitting a job by id), asked again while the
/// cluster changes under them — a silo that held the grain died, its calls fail with a transient error until the grain
/// is active on another silo — rather than failing the user's command. Retries back off from 100 ms to 2 s, until
/// <see cref="ClusterReachability"/> has reached no silo for its reconnect timeout (then
/// <see cref="ClusterUnavailableException"/>), or, with no reachability to ask, for <see cref="Window"/>.
/// </summary>
internal static class ClusterCalls
{
    /// <summary>How long a call is retried when its context has no <see cref="ClusterReachability"/>: 30 s.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(30);

    /// <summary>Calls <paramref name="call"/> until it answers, retrying transient cluster errors.</summary>
    public static async Task<T> RetryAsync<T>(Func<Task<T>> call, ClusterReachability? reachability, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (TransientClusterErrors.IsTransient(e) && (reachability is not null || Stopwatch.GetElapsedTime(started) < Window))
            {
                reachability?.ThrowIfGivenUp();
                if (reachability is not null && Stopwatch.GetElapsedTime(started) > reachability.ReconnectTimeout + Window)
                {
                    // Silos answer, yet this call keeps failing: not a passing change of the cluster.
                    throw;
                }
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    /// <summary>Calls <paramref name="call"/> until it answers, retrying transient cluster errors.</summary>
    public static Task RetryAsync(Func<Task> call, ClusterReachability? reachability, CancellationToken cancellationToken) =>
        RetryAsync(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, reachability, cancellationToken);
}
