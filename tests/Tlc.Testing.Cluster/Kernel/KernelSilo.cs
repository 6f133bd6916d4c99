using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Storage;
using Tlc.Grains;
using Tlc.Grains.Hosting;
using Tlc.Silo.Hosting;
using Tlc.Silo.Storage;
using Tlc.Tables.Configuration;

namespace Tlc.Testing.Cluster.Kernel;

/// <summary>
/// One real silo in this process for kernel tests and simulations: Tlc's grains on the embedded default's file grain
/// storage (so a restart keeps the state), the probe kind, a call counter, and the job clock in virtual time (a
/// <see cref="FakeTimeProvider"/> the test advances; Orleans keeps its own clock). <see cref="RestartAsync"/> stops the silo
/// abruptly and starts a new one on the same state.
/// </summary>
public sealed class KernelSilo : IAsyncDisposable
{
    private IHost _host;

    private KernelSilo(string stateFolder, FakeTimeProvider clock, CallCounter calls, IHost host)
    {
        StateFolder = stateFolder;
        Clock = clock;
        Calls = calls;
        _host = host;
    }

    /// <summary>The grain state folder.</summary>
    public string StateFolder { get; }

    /// <summary>The job clock.</summary>
    public FakeTimeProvider Clock { get; }

    /// <summary>Grain calls the silo received.</summary>
    public CallCounter Calls { get; }

    /// <summary>The silo's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>A client co-hosted with the silo.</summary>
    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>The probe kind's instance (what it published).</summary>
    public ProbeKind Probes => _host.Services.GetServices<Tlc.Grains.Kinds.IJobKind>().OfType<ProbeKind>().Single();

    /// <summary>The grain storage (what it wrote).</summary>
    public FileGrainStorage Storage => (FileGrainStorage)_host.Services.GetRequiredKeyedService<IGrainStorage>(TlcGrainNames.Storage);

    /// <summary>Starts a silo over <paramref name="stateFolder"/> with the job clock at <paramref name="clock"/> (a new one at the real time when null).</summary>
    public static async Task<KernelSilo> StartAsync(string stateFolder, FakeTimeProvider? clock = null, CancellationToken cancellationToken = default)
    {
        clock ??= new FakeTimeProvider(DateTimeOffset.UtcNow);
        var calls = new CallCounter();
        return new KernelSilo(stateFolder, clock, calls, await StartHostAsync(stateFolder, clock, calls, cancellationToken));
    }

    /// <summary>Stops the silo without waiting for its grains to finish (as a crash would, but for what the log already holds) and starts a new one on the same state.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => RestartAsync(cancellationToken, null);

    private async Task RestartAsync(CancellationToken cancellationToken, Action? whileStopped)
    {
        using (var abrupt = new CancellationTokenSource())
        {
            await abrupt.CancelAsync();
            try
            {
                await _host.StopAsync(abrupt.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _host.Dispose();
        whileStopped?.Invoke();
        _host = await StartHostAsync(StateFolder, Clock, Calls, cancellationToken);
    }

    /// <summary>
    /// A crash: the state is put back to what was written when this is called (what a grain would write while it
    /// deactivates is lost), then the silo restarts on it.
    /// </summary>
    public async Task CrashAsync(CancellationToken cancellationToken = default)
    {
        var written = StateFolder + ".crash";
        CopyFolder(StateFolder, written);
        await RestartAsync(cancellationToken, () =>
        {
            Directory.Delete(StateFolder, recursive: true);
            Directory.Move(written, StateFolder);
        });
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var directory in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, directory)));
        }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
        }
    }

    private static async Task<IHost> StartHostAsync(string stateFolder, FakeTimeProvider clock, CallCounter calls, CancellationToken cancellationToken)
    {
        var siloPort = EmbeddedSilo.FreePort();
        var gatewayPort = EmbeddedSilo.FreePort();
        var host = Host.CreateDefaultBuilder()
            .ConfigureLogging(l => l.ClearProviders())
            .UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: "kernel", clusterId: "kernel");
                silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromMinutes(2));
                silo.AddFileGrainStorage(TlcGrainNames.Storage, stateFolder);
                silo.Services.AddKeyedSingleton<TimeProvider>(TlcGrainNames.JobClock, clock);
                silo.Services.AddJobKind<ProbeKind>();
                silo.AddIncomingGrainCallFilter(calls);
                silo.AddTlcGrainServices(new TlcOptions { Root = Path.Combine(stateFolder, "root") });
            })
            .Build();
        await host.StartAsync(cancellationToken);
        return host;
    }

    /// <summary>Stops the silo.</summary>
    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await _host.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        _host.Dispose();
    }
}
