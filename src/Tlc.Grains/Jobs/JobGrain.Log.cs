using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

internal sealed partial class JobGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ({Kind}): submitted, {Description}, {Items} items in {Segments} segments")]
    private static partial void LogSubmitted(ILogger logger, string job, string kind, string description, int items, int segments);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: the plans of its {Segments} segments arrived")]
    private static partial void LogPlanned(ILogger logger, string job, int segments);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job} ({Kind}): {Status} {Error}")]
    private static partial void LogFinished(ILogger logger, string job, string kind, JobStatus status, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: retried")]
    private static partial void LogRetried(ILogger logger, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: segment {Segment} did not answer a lease request")]
    private static partial void LogRouteFailed(ILogger logger, Exception error, string job, int segment);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: publication interrupted (attempt {Attempt}); trying again")]
    private static partial void LogPublishRetry(ILogger logger, Exception error, string job, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {Job}: could not delete what its items staged")]
    private static partial void LogCleanupFailed(ILogger logger, Exception error, string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: {Noun} {Writer} opened its share (attempt {Attempt}, replacing {Replaced})")]
    private static partial void LogWriterOpened(ILogger logger, string job, string noun, int writer, string attempt, string? replaced);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: {Noun} {Writer} closed its share ({Closed} of {Writers} closed)")]
    private static partial void LogWriterClosed(ILogger logger, string job, string noun, int writer, int closed, int writers);
}
