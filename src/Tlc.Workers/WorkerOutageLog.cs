using Microsoft.Extensions.Logging;

namespace Tlc.Workers;

/// <summary>
/// What a worker process logs of its cluster's outages: one warning when it reaches no silo (it keeps waiting, however
/// long), one line when a silo answers again.
/// </summary>
/// <param name="logger">Where the lines go.</param>
/// <param name="worker">The worker's id.</param>
internal sealed partial class WorkerOutageLog(ILogger logger, string worker) : IProgress<ClusterOutage>
{
    /// <inheritdoc />
    public void Report(ClusterOutage value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.IsOver)
        {
            LogBack(logger, worker, value.Describe());
        }
        else
        {
            LogLost(logger, worker, value.Describe());
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: {Outage}; waiting for it to come back")]
    private static partial void LogLost(ILogger logger, string worker, string outage);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker}: {Outage}")]
    private static partial void LogBack(ILogger logger, string worker, string outage);
}
