using System.Globalization;
using System.Net;
using Tlc.Tables.Configuration;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// The health endpoints of the server processes, as orchestrators probe them: <c>tlc silo</c>, <c>dotnet Tlc.Silo.dll</c>,
/// <c>tlc worker</c> and <c>dotnet Tlc.Workers.dll</c> with a health port answer liveness while they run, and readiness
/// 200 only while they serve (a silo joined and its gateway listens; a worker reaches a gateway and is registered), 503
/// with the reason before and when a worker's silo is gone.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class HealthProbeProcessTests : IDisposable
{
    private readonly TempRoot _root = new("health");
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose()
    {
        _http.Dispose();
        _root.Dispose();
    }

    private static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path)
    {
        using var response = await _http.GetAsync(new Uri($"http://127.0.0.1:{port}{path}"), TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    /// <summary>Probes until the endpoint answers <paramref name="expected"/>; fails with the last answer after <paramref name="within"/>.</summary>
    private async Task<string> WaitForAsync(int port, string path, HttpStatusCode expected, TimeSpan within, CliProcess.Running process)
    {
        var deadline = DateTime.UtcNow + within;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(process.HasExited, $"{process.Description} exited.\n{process.Transcript}");
            try
            {
                var (status, body) = await GetAsync(port, path);
                if (status == expected)
                {
                    return body;
                }
                last = $"{(int)status} {body}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"{path} on port {port} did not answer {(int)expected} within {within.TotalSeconds} s; last: {last}\n{process.Transcript}");
        return "";
    }

    [Fact(Timeout = 180_000)]
    public async Task SiloAndWorker_HealthPort_ReadyWhileServing_WorkerNotReadyWhileItsSiloIsGone()
    {
        var siloHealth = ClusterCliSupport.FreePort();
        var workerHealth = ClusterCliSupport.FreePort();
        var silo = CliProcess.Start(["silo", "--root", _root.Path, "--health-port", Text(siloHealth)]);
        try
        {
            await silo.WaitForLineAsync($"Health: http://0.0.0.0:{siloHealth}{HealthSettings.LivenessPath}", TimeSpan.FromSeconds(60));
            Assert.Equal((HttpStatusCode.OK, "live\n"), await GetAsync(siloHealth, HealthSettings.LivenessPath));
            Assert.Equal("ready\n", await WaitForAsync(siloHealth, HealthSettings.ReadinessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(20), silo));

            // The standalone worker program runs the same code as tlc worker.
            await using var worker = CliProcess.Start(["--root", _root.Path, "--threads", "1", "--decode-threads", "1", "--id", "health-w1", "--health-port", Text(workerHealth)],
                assembly: "Tlc.Workers.dll");
            await worker.WaitForLineAsync("ready:", TimeSpan.FromSeconds(60));
            Assert.Equal("ready\n", await WaitForAsync(workerHealth, HealthSettings.ReadinessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(20), worker));

            await silo.KillAsync();
            var notReady = await WaitForAsync(workerHealth, HealthSettings.ReadinessPath, HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(30), worker);
            Assert.StartsWith("not ready: no gateway of", notReady, StringComparison.Ordinal);
            Assert.Equal((HttpStatusCode.OK, "live\n"), await GetAsync(workerHealth, HealthSettings.LivenessPath));

            // A new silo of the root (on new ports): the worker finds it and is ready again.
            await silo.DisposeAsync();
            silo = CliProcess.Start(["silo", "--root", _root.Path]);
            await silo.WaitForLineAsync("Silo serving", TimeSpan.FromSeconds(60));
            await WaitForAsync(workerHealth, HealthSettings.ReadinessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(60), worker);
            Assert.Equal(0, await worker.StopAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await silo.DisposeAsync();
        }
    }

    [Fact(Timeout = 180_000)]
    public async Task AzureSiloAndWorker_HealthEnvironmentVariable_NotReadyUntilTheClusterIsReached_SiloReadyOnceJoined()
    {
        var id = Guid.NewGuid().ToString("N")[..10];
        var state = Azurite.NewContainerName("health-state");
        Dictionary<string, string?> Environment(string connection, int healthPort) => new()
        {
            ["TLC_CLUSTER__MODE"] = "azure",
            ["TLC_CLUSTER__CONNECTION_STRING"] = connection,
            ["TLC_CLUSTER__CLUSTER_ID"] = $"health-{id}",
            ["TLC_CLUSTER__SERVICE_ID"] = $"health-{id}",
            ["TLC_CLUSTER__STATE_CONTAINER"] = state,
            ["TLC_CLUSTER__SILO_PORT"] = Text(ClusterCliSupport.FreePort()),
            ["TLC_CLUSTER__GATEWAY_PORT"] = Text(ClusterCliSupport.FreePort()),
            ["TLC_HEALTH__PORT"] = Text(healthPort),
        };
        // Azure Storage that does not answer (nothing listens on the port): neither process gets past joining.
        var closed = ClusterCliSupport.FreePort();
        var unreachable = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{closed}/devstoreaccount1;";
        try
        {
            var stuckSiloHealth = ClusterCliSupport.FreePort();
            await using (var stuckSilo = CliProcess.Start(["--root", _root.Path], Environment(unreachable, stuckSiloHealth), assembly: "Tlc.Silo.dll"))
            {
                await WaitForAsync(stuckSiloHealth, HealthSettings.LivenessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(30), stuckSilo);
                var (status, body) = await GetAsync(stuckSiloHealth, HealthSettings.ReadinessPath);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                Assert.Equal("not ready: the silo is starting (joining the cluster)\n", body);
            }
            var stuckWorkerHealth = ClusterCliSupport.FreePort();
            await using (var stuckWorker = CliProcess.Start(["worker", "--root", _root.Path, "--threads", "1"], Environment(unreachable, stuckWorkerHealth)))
            {
                await WaitForAsync(stuckWorkerHealth, HealthSettings.LivenessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(30), stuckWorker);
                var (status, body) = await GetAsync(stuckWorkerHealth, HealthSettings.ReadinessPath);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
                Assert.Equal("not ready: connecting to the cluster\n", body);
            }

            var siloHealth = ClusterCliSupport.FreePort();
            await using var silo = CliProcess.Start(["silo", "--root", _root.Path], Environment(Azurite.ConnectionString, siloHealth));
            await silo.WaitForLineAsync($"Silo joined cluster 'health-{id}'", TimeSpan.FromSeconds(90));
            Assert.Equal("ready\n", await WaitForAsync(siloHealth, HealthSettings.ReadinessPath, HttpStatusCode.OK, TimeSpan.FromSeconds(30), silo));
            Assert.Equal(0, await silo.StopAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await Azurite.DeleteContainerAsync(state);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Worker_HealthPortOutOfRange_UsageErrorNamingTheOption()
    {
        var result = await CliProcess.RunAsync(["worker", "--root", _root.Path, "--health-port", "70000"]);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--health-port must be a TCP port", result.Stderr + result.Stdout, StringComparison.Ordinal);
    }
}
