using System.Net;
using System.Net.Sockets;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>tlc silo</c> with the Orleans dashboard and console metrics, as a separate process: the dashboard page is served
/// over HTTP on the asked port, and the metrics are written to the console when the silo stops.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class ObservabilityProcessTests : IDisposable
{
    private readonly TempRoot _root = new("observability");

    public void Dispose() => _root.Dispose();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact(Timeout = 120_000)]
    public async Task Silo_Dashboard_ServesTheDashboardPage_MetricsConsole_WritesMetricsOnStop()
    {
        var ct = TestContext.Current.CancellationToken;
        var port = FreePort();
        await using var silo = CliProcess.Start(["silo", "--root", _root.Path, "--dashboard-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--metrics-console"],
            new Dictionary<string, string?> { ["TLC_OBSERVABILITY__EXPORT_INTERVAL_SECONDS"] = "1" });
        var line = await silo.WaitForLineAsync("Orleans dashboard:", TimeSpan.FromSeconds(60));
        Assert.Contains($"http://127.0.0.1:{port}/", line);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/"), ct);
        var html = await response.Content.ReadAsStringAsync(ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<title>Orleans Dashboard</title>", html);
        // Written only by the console exporter (the start-up banner names the meters, not their instruments).
        await silo.WaitForLineAsync("Metric Name: orleans-catalog-activations", TimeSpan.FromSeconds(30));
        Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("service.name: tlc-silo", silo.Stdout);
    }

    [Fact(Timeout = 60_000)]
    public async Task Silo_DashboardPortOutOfRange_UsageErrorNamingTheOption()
    {
        var result = await CliProcess.RunAsync(["silo", "--root", _root.Path, "--dashboard-port", "70000"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--dashboard-port", result.Stderr + result.Stdout);
    }
}
