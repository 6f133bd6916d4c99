using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// Runs a silo until cancelled: the embedded one for the root, or a member of the configured shared cluster (azure, redis). It exports
/// metrics while it runs (<see cref="TlcTelemetry"/>) and serves the Orleans dashboard when the settings ask.
/// </summary>
public static class SiloRunner
{
    /// <summary>Runs the silo; returns the process exit code.</summary>
    public static async Task<int> RunAsync(TlcOptions settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        void Logging(ILoggingBuilder builder) => builder.AddSimpleConsole(o => o.SingleLine = true)
            .SetMinimumLevel(LogLevel.Warning).AddFilter("Tlc", LogLevel.Information);
        using var metrics = TlcTelemetry.StartMetricsExport(settings.Observability, "tlc-silo");
        if (!settings.Cluster.IsShared)
        {
            await using var silo = await EmbeddedSilo.TryStartAsync(settings, Logging, cancellationToken).ConfigureAwait(false);
            if (silo is null)
            {
                var running = EmbeddedSilo.FindRunning(settings.RootUrl);
                await output.WriteLineAsync($"A silo already serves {settings.RootUrl} (process {running?.ProcessId}, gateway port {running?.GatewayPort}); two silos never share a root.").ConfigureAwait(false);
                return 1;
            }
            await output.WriteLineAsync($"Silo serving {settings.RootUrl}: silo port {silo.Endpoints.SiloPort}, gateway port {silo.Endpoints.GatewayPort}. Ctrl+C stops it.").ConfigureAwait(false);
            await WriteObservabilityAsync(settings, output).ConfigureAwait(false);
            await WaitAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        }
        var endpoints = new SiloEndpoints(
            settings.Cluster.SiloPort > 0 ? settings.Cluster.SiloPort : SiloEndpoints.DefaultSiloPort,
            settings.Cluster.GatewayPort > 0 ? settings.Cluster.GatewayPort : SiloEndpoints.DefaultGatewayPort,
            settings.Cluster.AdvertisedIp is { } ip ? IPAddress.Parse(ip) : null);
        if (settings.Cluster.IsRedis)
        {
            await RedisCluster.EnsureReachableAsync(settings.Cluster.RedisConnectionString, cancellationToken).ConfigureAwait(false);
        }
        using var host = SiloHosts.Build(settings, endpoints, Logging, contentRoot: null);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteLineAsync($"Silo joined cluster '{settings.Cluster.ClusterId}': silo port {endpoints.SiloPort}, gateway port {endpoints.GatewayPort}.").ConfigureAwait(false);
        await WriteObservabilityAsync(settings, output).ConfigureAwait(false);
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(stop.Token).ConfigureAwait(false);
        return 0;
    }

    private static async Task WriteObservabilityAsync(TlcOptions settings, TextWriter output)
    {
        if (SiloHosts.DashboardUrl(settings) is { } dashboard)
        {
            await output.WriteLineAsync($"Orleans dashboard: {dashboard}").ConfigureAwait(false);
        }
        var observability = settings.Observability;
        if (observability.ExportsMetrics)
        {
            var targets = new List<string>();
            if (!string.IsNullOrWhiteSpace(observability.OtlpEndpoint))
            {
                targets.Add($"OTLP {observability.OtlpEndpoint}");
            }
            if (observability.MetricsConsole)
            {
                targets.Add("the console");
            }
            await output.WriteLineAsync($"Metrics (meters {Tlc.Diagnostics.TlcMetrics.MeterName}, {TlcTelemetry.OrleansMeterName}) exported to {string.Join(" and ", targets)} every {observability.ExportIntervalSeconds:0.###} s.").ConfigureAwait(false);
        }
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
