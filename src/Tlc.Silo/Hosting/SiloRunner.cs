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
        var readiness = new SiloReadiness();
        await using var health = await HealthEndpoints.StartAsync(settings.Health, readiness.CheckAsync, cancellationToken).ConfigureAwait(false);
        if (!settings.Cluster.IsShared)
        {
            await using var silo = await EmbeddedSilo.TryStartAsync(settings, Logging, cancellationToken).ConfigureAwait(false);
            if (silo is null)
            {
                var running = EmbeddedSilo.FindRunning(settings.RootUrl);
                await output.WriteLineAsync($"A silo already serves {settings.RootUrl} (process {running?.ProcessId}, gateway port {running?.GatewayPort}); two silos never share a root.").ConfigureAwait(false);
                return 1;
            }
            readiness.Started(silo.Host, silo.Endpoints.GatewayPort);
            await output.WriteLineAsync($"Silo serving {settings.RootUrl}: silo port {silo.Endpoints.SiloPort}, gateway port {silo.Endpoints.GatewayPort}. Ctrl+C stops it.").ConfigureAwait(false);
            await WriteObservabilityAsync(settings, health, output).ConfigureAwait(false);
            await WaitAsync(cancellationToken).ConfigureAwait(false);
            readiness.Stopping();
            return 0;
        }
        var endpoints = new SiloEndpoints(
            settings.Cluster.SiloPort > 0 ? settings.Cluster.SiloPort : SiloEndpoints.DefaultSiloPort,
            settings.Cluster.GatewayPort > 0 ? settings.Cluster.GatewayPort : SiloEndpoints.DefaultGatewayPort,
            AdvertisedAddress(settings));
        if (settings.Cluster.IsRedis)
        {
            await RedisCluster.EnsureReachableAsync(settings.Cluster.RedisConnectionString, cancellationToken).ConfigureAwait(false);
        }
        using var host = SiloHosts.Build(settings, endpoints, Logging, contentRoot: null);
        await host.StartAsync(cancellationToken).ConfigureAwait(false);
        readiness.Started(host, endpoints.GatewayPort);
        await output.WriteLineAsync($"Silo joined cluster '{settings.Cluster.ClusterId}': silo port {endpoints.SiloPort}, gateway port {endpoints.GatewayPort}.").ConfigureAwait(false);
        await WriteObservabilityAsync(settings, health, output).ConfigureAwait(false);
        await WaitAsync(cancellationToken).ConfigureAwait(false);
        readiness.Stopping();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(stop.Token).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The address a cluster silo announces: <c>cluster.advertised_ip</c>; else, with <c>cluster.kubernetes</c>, the pod's
    /// address (<c>POD_IP</c>, which the pod's manifest sets from <c>status.podIP</c>); else null (loopback).
    /// </summary>
    private static IPAddress? AdvertisedAddress(TlcOptions settings)
    {
        if (settings.Cluster.AdvertisedIp is { } ip)
        {
            return IPAddress.Parse(ip);
        }
        if (!settings.Cluster.Kubernetes)
        {
            return null;
        }
        var variable = Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodIPEnvironmentVariable;
        return Environment.GetEnvironmentVariable(variable) is { Length: > 0 } podIp && IPAddress.TryParse(podIp, out var address)
            ? address
            : throw new InvalidOperationException($"cluster.kubernetes is set but {variable} is not an IP address ('{Environment.GetEnvironmentVariable(variable)}'): set it from the pod's status.podIP, or set cluster.advertised_ip.");
    }

    private static async Task WriteObservabilityAsync(TlcOptions settings, IHealthEndpoint? health, TextWriter output)
    {
        if (health is not null)
        {
            await output.WriteLineAsync(HealthEndpoints.Describe(health)).ConfigureAwait(false);
        }
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
