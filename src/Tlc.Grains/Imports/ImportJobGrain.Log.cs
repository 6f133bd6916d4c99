using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Grains.Imports;

internal sealed partial class ImportJobGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Import {Job}: submitted, {Format} {Source} → {Table}, {Chunks} chunks, {Bytes} bytes")]
    private static partial void LogSubmitted(ILogger logger, string job, string format, string source, string table, int chunks, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Import {Job}: {Status} {Error}")]
    private static partial void LogFinished(ILogger logger, string job, JobStatus status, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import {Job}: could not delete staged file {File}")]
    private static partial void LogCleanupFailed(ILogger logger, Exception error, string job, string file);
}
