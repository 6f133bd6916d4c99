namespace Tlc;

/// <summary>
/// Fails a grain call at once when the connection to the client's last gateway closes while the call waits for its
/// answer. The Orleans client keeps such a call until the response timeout (<c>cluster.response_timeout_seconds</c>, 30 s)
/// even though the silo that had it is gone; failing it with <see cref="SiloUnavailableException"/> — transient to every
/// caller that retries (<see cref="TransientClusterErrors"/>) — lets the caller ask again as soon as a silo is back.
/// </summary>
/// <param name="reachability">The connection's bookkeeping, which knows when the last gateway connection closes.</param>
internal sealed class ConnectionLossCallFilter(ClusterReachability reachability) : IOutgoingGrainCallFilter
{
    /// <inheritdoc />
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var lost = reachability.NextLoss;
        var call = context.Invoke();
        if (!call.IsCompleted && await Task.WhenAny(call, lost).ConfigureAwait(false) == lost)
        {
            // The abandoned call still ends (by its timeout); its error is observed here, never thrown.
            _ = call.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw new SiloUnavailableException(
                $"The connection to the cluster closed while {context.InterfaceName}.{context.MethodName} waited for its answer.");
        }
        await call.ConfigureAwait(false);
    }
}
