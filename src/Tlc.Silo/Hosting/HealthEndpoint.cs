using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>Starts the health endpoints of a server process when <c>health.port</c> is set.</summary>
public static class HealthEndpoints
{
    /// <summary>The line <c>tlc silo</c> and <c>tlc worker</c> print: <c>Health: http://0.0.0.0:8081/healthz, http://0.0.0.0:8081/readyz</c>.</summary>
    public static string Describe(IHealthEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return $"Health: {new Uri(endpoint.Address, HealthSettings.LivenessPath)}, {new Uri(endpoint.Address, HealthSettings.ReadinessPath)}";
    }

    /// <summary>
    /// Serves <see cref="HealthSettings.LivenessPath"/> (200 while the process runs) and
    /// <see cref="HealthSettings.ReadinessPath"/> (200 when <paramref name="readiness"/> says ready, else 503 with the reason)
    /// on <c>health.host</c>:<c>health.port</c>; null when the port is 0 (off).
    /// </summary>
    /// <param name="settings">The health settings.</param>
    /// <param name="readiness">Asked at each readiness probe.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<IHealthEndpoint?> StartAsync(HealthSettings settings, ReadinessCheck readiness, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(readiness);
        if (!settings.Enabled)
        {
            return null;
        }
        var endpoint = new HealthEndpoint(settings, readiness);
        try
        {
            await endpoint.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            await endpoint.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The health endpoints cannot listen on {settings.Host}:{settings.Port} (health.host, health.port): {e.Message}", e);
        }
        return endpoint;
    }
}

/// <summary>A minimal Kestrel host answering the two health paths (the ASP.NET Core shared framework the silo already uses).</summary>
internal sealed class HealthEndpoint : IHealthEndpoint
{
    private readonly WebApplication _app;

    public HealthEndpoint(HealthSettings settings, ReadinessCheck readiness)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Parse(settings.Host), settings.Port));
        _app = builder.Build();
        _app.MapGet(HealthSettings.LivenessPath, () => Results.Text("live\n"));
        _app.MapGet(HealthSettings.ReadinessPath, async (HttpContext http) =>
        {
            string? reason;
            try
            {
                reason = await readiness(http.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                reason = $"the readiness check failed: {e.Message}";
            }
            return reason is null
                ? Results.Text("ready\n")
                : Results.Text($"not ready: {reason}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        Address = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{settings.Host}:{settings.Port}"));
    }

    public Uri Address { get; }

    public Task StartAsync(CancellationToken cancellationToken) => _app.StartAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _app.StopAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
