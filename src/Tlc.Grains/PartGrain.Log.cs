using Microsoft.Extensions.Logging;

namespace Tlc.Grains;

internal sealed partial class PartGrain
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Part {Part}: {Expiry}")]
    private static partial void LogLeaseExpired(ILogger logger, string part, string expiry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Part {Part}: commit rejected: {Problem}")]
    private static partial void LogCommitRejected(ILogger logger, string part, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Part {Part}: attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string part, int attempt, string error);
}
