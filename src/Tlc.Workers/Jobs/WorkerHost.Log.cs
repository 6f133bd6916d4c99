using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Workers;

public sealed partial class WorkerHost
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker}: job {Job} {Noun} {Item} attempt {Attempt}: {Outcome}, {Rows} rows in {Seconds:F2} s")]
    private static partial void LogCommitted(ILogger logger, string worker, string job, string noun, int item, int attempt, CommitOutcome outcome, long rows, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: job {Job} {Noun} {Item} attempt {Attempt}: lease lost, work dropped")]
    private static partial void LogLeaseLost(ILogger logger, string worker, string job, string noun, int item, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: job {Job} {Noun} {Item} attempt {Attempt}: renewal not answered ({Error}); trying again in {Seconds:F1} s, the lease runs to {Deadline:O}")]
    private static partial void LogRenewalUnanswered(ILogger logger, string worker, string job, string noun, int item, int attempt, string error, double seconds, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: job {Job} {Noun} {Item} attempt {Attempt} failed ({What})")]
    private static partial void LogItemFailed(ILogger logger, Exception? exception, string worker, string job, string noun, int item, int attempt, string what);
}
