using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Tlc.Diagnostics;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// Exports metrics from a Tlc process with OpenTelemetry: Tlc's meter (<see cref="TlcMetrics.MeterName"/>) and Orleans'
/// (<see cref="OrleansMeterName"/>), to an OTLP endpoint and/or the console, as <see cref="ObservabilitySettings"/> say.
/// <c>tlc silo</c> and <c>tlc worker</c> run one for their lifetime.
/// </summary>
public static class TlcTelemetry
{
    /// <summary>The name of Orleans' meter (grain calls, activations, messaging).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>
    /// Starts exporting metrics, or returns null when <paramref name="settings"/> export nowhere and
    /// <paramref name="configure"/> adds nothing. Disposing the provider flushes the last measurements and stops.
    /// </summary>
    /// <param name="settings">Where to export (OTLP endpoint, console) and how often.</param>
    /// <param name="serviceName">The OpenTelemetry service name (<c>tlc-silo</c>, <c>tlc-worker</c>).</param>
    /// <param name="configure">More readers or exporters (tests add an in-memory exporter); null for none.</param>
    public static MeterProvider? StartMetricsExport(ObservabilitySettings settings, string serviceName, Action<MeterProviderBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        if (!settings.ExportsMetrics && configure is null)
        {
            return null;
        }
        var interval = (int)Math.Clamp(settings.ExportIntervalSeconds * 1000, 100, int.MaxValue);
        var builder = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(resource => resource.AddService(serviceName, serviceInstanceId: $"{Environment.MachineName}/{Environment.ProcessId}"))
            .AddMeter(TlcMetrics.MeterName, OrleansMeterName);
        if (!string.IsNullOrWhiteSpace(settings.OtlpEndpoint))
        {
            var endpoint = new Uri(settings.OtlpEndpoint);
            builder.AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = endpoint;
                // The HTTP/protobuf endpoint is the full path (…/v1/metrics); gRPC is the collector's address (port 4317).
                exporter.Protocol = endpoint.AbsolutePath.EndsWith("/v1/metrics", StringComparison.Ordinal) ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval;
            });
        }
        if (settings.MetricsConsole)
        {
            builder.AddConsoleExporter((_, reader) => reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = interval);
        }
        configure?.Invoke(builder);
        return builder.Build();
    }
}
