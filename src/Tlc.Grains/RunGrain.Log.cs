using Microsoft.Extensions.Logging;

namespace Tlc.Grains;

internal sealed partial class RunGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Run {Project}/{Run} started by {Owner} (reuse: {Reuse})")]
    private static partial void LogRunStarted(ILogger logger, string project, string run, string owner, bool reuse);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {Project}/{Run} interrupted: owner {Owner} stopped sending heartbeats (deadline {Deadline})")]
    private static partial void LogRunInterrupted(ILogger logger, string project, string run, string owner, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {Project}/{Run}: metrics table {Url} ({Rows} rows) registered")]
    private static partial void LogMetricsTableRegistered(ILogger logger, string project, string run, string url, long rows);
}
