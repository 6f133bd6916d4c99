using Microsoft.Extensions.Logging;

namespace Tlc.Grains.Imports;

internal sealed partial class ImportChunkGrain
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Import chunk {Chunk}: {Error}")]
    private static partial void LogLeaseExpired(ILogger logger, string chunk, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import chunk {Chunk}: commit rejected: {Problem}")]
    private static partial void LogCommitRejected(ILogger logger, string chunk, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Import chunk {Chunk}: attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string chunk, int attempt, string error);
}
