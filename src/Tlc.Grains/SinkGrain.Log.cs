using Microsoft.Extensions.Logging;

namespace Tlc.Grains;

internal sealed partial class SinkGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Sink {Sink}: published {Url} ({Rows} rows from {Parts} parts)")]
    private static partial void LogPublished(ILogger logger, string sink, string url, long rows, int parts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Sink {Sink}: publication refused: {Problem}")]
    private static partial void LogPublishRefused(ILogger logger, string sink, string problem);
}
