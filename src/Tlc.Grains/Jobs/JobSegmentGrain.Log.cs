using Microsoft.Extensions.Logging;

namespace Tlc.Grains.Jobs;

internal sealed partial class JobSegmentGrain
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: {Noun} {Item}: {Expiry}")]
    private static partial void LogLeaseExpired(ILogger logger, string job, string noun, int item, string expiry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: {Noun} {Item}: commit rejected: {Problem}")]
    private static partial void LogCommitRejected(ILogger logger, string job, string noun, int item, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: {Noun} {Item}: attempt {Attempt} failed (permanent: {Permanent}): {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string job, string noun, int item, int attempt, bool permanent, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Segment {Segment}: a write failed; the activation starts over from storage")]
    private static partial void LogWriteFailed(ILogger logger, Exception error, string segment);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Segment {Segment}: telling its job failed ({Failures} times so far)")]
    private static partial void LogReportFailed(ILogger logger, Exception error, string segment, int failures);
}
