using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// The single-node silo of the embedded default. Its grain state lives on local disk beside the root
/// (<c>&lt;root&gt;/.silo/state</c> for a local root), and a lock file (<c>.silo/silo.lock</c>, held open while the silo runs)
/// makes sure two silos never share a root: the first <c>tlc</c> process starts the silo, later ones read its gateway port
/// from <c>.silo/silo.json</c> and connect to it.
/// </summary>
public sealed class EmbeddedSilo : IAsyncDisposable
{
    private readonly FileStream _lock;

    private EmbeddedSilo(IHost host, FileStream lockFile, SiloEndpoints endpoints)
    {
        Host = host;
        _lock = lockFile;
        Endpoints = endpoints;
    }

    /// <summary>The running host.</summary>
    public IHost Host { get; }

    /// <summary>The silo's ports.</summary>
    public SiloEndpoints Endpoints { get; }

    /// <summary>A client co-hosted with the silo (no network hop).</summary>
    public IClusterClient Client => Host.Services.GetRequiredService<IClusterClient>();

    /// <summary>The folder holding the embedded silo's files for <paramref name="root"/>.</summary>
    public static string SiloFolder(Url root)
    {
        if (root.IsFile)
        {
            return Path.Combine(root.LocalPath, ".silo");
        }
        // A remote root: keep the silo's files on local disk, per root.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root.Value)))[..16];
        return Path.Combine(TlcOptions.DefaultRoot(), "silos", hash);
    }

    /// <summary>The grain state folder for <paramref name="root"/>.</summary>
    public static string StateFolder(Url root) => Path.Combine(SiloFolder(root), "state");

    /// <summary>The gateway port of an embedded silo already serving <paramref name="root"/>, or null when none runs.</summary>
    public static RunningSilo? FindRunning(Url root)
    {
        var folder = SiloFolder(root);
        var lockPath = Path.Combine(folder, "silo.lock");
        if (!File.Exists(lockPath))
        {
            return null;
        }
        try
        {
            // Free lock: no silo runs (a crashed one released it with its process).
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return null;
        }
        catch (IOException)
        {
            var info = Path.Combine(folder, "silo.json");
            return File.Exists(info) ? JsonSerializer.Deserialize<RunningSilo>(File.ReadAllText(info)) : new RunningSilo(0, 0, 0);
        }
    }

    /// <summary>
    /// What <c>.silo/silo.json</c> says about the last silo that started on <paramref name="root"/>, without probing the lock
    /// (a probe takes the lock for a moment, which a silo starting just then would find taken): null when there is no
    /// record or it cannot be read. The process it names may have ended since (<see cref="RunningSilo.IsAlive"/>).
    /// </summary>
    public static RunningSilo? ReadRecord(Url root)
    {
        try
        {
            return JsonSerializer.Deserialize<RunningSilo>(File.ReadAllText(Path.Combine(SiloFolder(root), "silo.json")));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Starts the embedded silo for the settings' root, or returns null when another process holds the root's lock.
    /// With <c>observability.dashboard</c> it also serves the Orleans dashboard (an ASP.NET Core listener on
    /// <c>observability.dashboard_host</c>:<c>dashboard_port</c>).
    /// </summary>
    public static async Task<EmbeddedSilo?> TryStartAsync(TlcOptions settings, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var folder = SiloFolder(settings.RootUrl);
        Directory.CreateDirectory(folder);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(folder, "silo.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
        try
        {
            var endpoints = new SiloEndpoints(
                settings.Cluster.SiloPort > 0 ? settings.Cluster.SiloPort : FreePort(),
                settings.Cluster.GatewayPort > 0 ? settings.Cluster.GatewayPort : FreePort());
            var host = SiloHosts.Build(settings, endpoints, logging, AppContext.BaseDirectory);
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                host.Dispose();
                throw;
            }
            var info = new RunningSilo(Environment.ProcessId, endpoints.SiloPort, endpoints.GatewayPort);
            var infoPath = Path.Combine(folder, "silo.json");
            File.WriteAllText(infoPath + ".tmp", JsonSerializer.Serialize(info));
            File.Move(infoPath + ".tmp", infoPath, overwrite: true);
            return new EmbeddedSilo(host, lockFile, endpoints);
        }
        catch
        {
            await lockFile.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stops the silo and releases the root.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await Host.StopAsync(stop.Token).ConfigureAwait(false);
        }
        finally
        {
            Host.Dispose();
            await _lock.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>What <c>.silo/silo.json</c> says about the embedded silo serving a root.</summary>
/// <param name="ProcessId">The process running it.</param>
/// <param name="SiloPort">Its silo port.</param>
/// <param name="GatewayPort">Its gateway port (clients connect here).</param>
public sealed record RunningSilo(int ProcessId, int SiloPort, int GatewayPort)
{
    /// <summary>True while the process exists.</summary>
    public bool IsAlive
    {
        get
        {
            try
            {
                using var process = Process.GetProcessById(ProcessId);
                return !process.HasExited;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }
}
