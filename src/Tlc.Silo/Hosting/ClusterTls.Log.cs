using Microsoft.Extensions.Logging;

namespace Tlc.Silo.Hosting;

public static partial class ClusterTls
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Refused a TLS peer: its certificate '{Subject}' (issued by '{Issuer}') does not chain to cluster.tls.authority: {Reason}")]
    private static partial void LogRefused(ILogger logger, string subject, string issuer, string reason);
}
