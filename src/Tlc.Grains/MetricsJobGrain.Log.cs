using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Grains;

internal sealed partial class MetricsJobGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: submitted over {Table}, {Shards} shards, {Rows} rows")]
    private static partial void LogSubmitted(ILogger logger, string job, string table, int shards, long rows);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {Job}: {Status} {Error}")]
    private static partial void LogFinished(ILogger logger, string job, JobStatus status, string? error);
}
