using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Messaging;
using Tlc.Cluster;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc;

/// <summary>
/// A process's connection to the cluster: the configured Azure cluster, or the embedded silo of the root — connecting
/// to the one another process runs, or starting it in this process when none does (a lock file in the root decides; two
/// silos never share a root). The same grains serve either way. A client of the embedded silo reads the root's silo record
/// again every <see cref="GatewayRefreshPeriod"/>, so it finds a restarted silo on its new ports by itself; while it
/// reaches no silo, <see cref="Reachability"/> says since when.
/// </summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost? _clientHost;
    private readonly EmbeddedSilo? _silo;

    private ClusterConnection(IClusterClient client, TlcOptions settings, IHost? clientHost, EmbeddedSilo? silo, ClusterReachability reachability)
    {
        Client = client;
        Settings = settings;
        _clientHost = clientHost;
        _silo = silo;
        Reachability = reachability;
        Identity = new WorkerRef($"{Dns.GetHostName()}-{Environment.ProcessId}", Guid.NewGuid().ToString("N")[..12]);
        Adapters = new UrlAdapterRegistry();
        TlcConfiguration.Apply(settings, Adapters);
    }

    /// <summary>How often a client of the embedded silo reads the root's silo record again (Orleans' gateway list refresh period).</summary>
    public static TimeSpan GatewayRefreshPeriod { get; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether this process reaches a silo: outages (a silo died or restarts) are reported to its subscribers, and a client
    /// waiting for a job gives up after <c>cluster.reconnect_timeout_seconds</c>. It never reports one when this process
    /// hosts the silo.
    /// </summary>
    public ClusterReachability Reachability { get; }

    /// <summary>The Orleans client.</summary>
    public IClusterClient Client { get; }

    /// <summary>The settings connected with.</summary>
    public TlcOptions Settings { get; }

    /// <summary>This process's identity (for run ownership and leases).</summary>
    public WorkerRef Identity { get; }

    /// <summary>The URL adapters configured by the settings.</summary>
    public UrlAdapterRegistry Adapters { get; }

    /// <summary>The context client-side objects work with.</summary>
    public ClusterContext Context => new(Client, Adapters, Settings.RootUrl, Identity, TimeProvider.System) { Reachability = Reachability };

    /// <summary>True when this process hosts the embedded silo.</summary>
    public bool HostsSilo => _silo is not null;

    /// <summary>Connects according to <paramref name="settings"/> (cluster.mode).</summary>
    public static Task<ClusterConnection> ConnectAsync(TlcOptions settings, CancellationToken cancellationToken = default) =>
        ConnectAsync(settings, startSiloIfNone: true, cancellationToken);

    /// <summary>
    /// Connects according to <paramref name="settings"/> (cluster.mode). On the embedded default, when no process runs the
    /// root's silo, <paramref name="startSiloIfNone"/> decides: start it in this process, or fail (a worker never hosts the
    /// silo: <c>tlc silo</c> does).
    /// </summary>
    /// <exception cref="NoSiloException">No silo serves the root and <paramref name="startSiloIfNone"/> is false.</exception>
    public static async Task<ClusterConnection> ConnectAsync(TlcOptions settings, bool startSiloIfNone, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var reachability = ClusterReachability.For(settings);
        if (settings.Cluster.IsAzure)
        {
            var connection = settings.Cluster.ConnectionString ?? settings.Azure.ConnectionString!;
            var host = await StartClientAsync(settings, reachability, c => c.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection)), cancellationToken)
                .ConfigureAwait(false);
            return new ClusterConnection(host.Services.GetRequiredService<IClusterClient>(), settings, host, null, reachability);
        }
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            if (EmbeddedSilo.FindRunning(settings.RootUrl) is { GatewayPort: > 0 } running && running.IsAlive)
            {
                var root = settings.RootUrl;
                var host = await StartClientAsync(settings, reachability, c => c
                        .Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayRefreshPeriod)
                        .ConfigureServices(s => s.AddSingleton<IGatewayListProvider>(new EmbeddedSiloGatewayListProvider(root, GatewayRefreshPeriod))), cancellationToken)
                    .ConfigureAwait(false);
                return new ClusterConnection(host.Services.GetRequiredService<IClusterClient>(), settings, host, null, reachability);
            }
            if (!startSiloIfNone && EmbeddedSilo.FindRunning(settings.RootUrl) is null)
            {
                throw new NoSiloException(settings.RootUrl);
            }
            if (startSiloIfNone && await EmbeddedSilo.TryStartAsync(settings, null, cancellationToken).ConfigureAwait(false) is { } silo)
            {
                return new ClusterConnection(silo.Client, settings, null, silo, reachability);
            }
            // Another process holds the root's lock but has not published its ports yet.
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Another process holds the silo lock of {settings.RootUrl} but its silo did not come up within 30 s.");
            }
            await Task.Delay(200, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<IHost> StartClientAsync(TlcOptions settings, ClusterReachability reachability, Action<IClientBuilder> clustering, CancellationToken cancellationToken)
    {
        var tls = !settings.Cluster.IsEmbedded && settings.Cluster.Tls.Enabled;
        using var failures = new TlsFailureRecorder();
        var host = Host.CreateDefaultBuilder()
            .UseContentRoot(AppContext.BaseDirectory)
            .ConfigureLogging(l => l.ClearProviders().AddProvider(failures).SetMinimumLevel(LogLevel.Debug))
            .UseOrleansClient(client =>
            {
                clustering(client);
                if (tls)
                {
                    client.UseClusterTls(settings.Cluster.Tls);
                }
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = settings.Cluster.ClusterId;
                    o.ServiceId = settings.Cluster.ServiceId;
                });
                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(settings.Cluster.ResponseTimeoutSeconds));
                // Outages: the connection to the last gateway closing starts one (and fails the calls waiting on it at once),
                // a gateway connection opening again ends it.
                client.AddClusterConnectionLostHandler((_, _) => reachability.OnConnectionLost());
                client.AddGatewayCountChangedHandler((_, e) =>
                {
                    if (e.ConnectionRecovered)
                    {
                        reachability.OnConnectionRecovered();
                    }
                });
                client.AddOutgoingGrainCallFilter(new ConnectionLossCallFilter(reachability));
            })
            .Build();
        // A cluster whose gateways refuse this client (TLS on one side only, an untrusted certificate) may never answer:
        // connecting gives up after cluster.response_timeout_seconds.
        var connectTimeout = TimeSpan.FromSeconds(settings.Cluster.ResponseTimeoutSeconds);
        try
        {
            var start = host.StartAsync(cancellationToken);
            await (settings.Cluster.IsEmbedded ? start : start.WaitAsync(connectTimeout, cancellationToken)).ConfigureAwait(false);
        }
        catch (Exception e) when (!settings.Cluster.IsEmbedded && e is not OperationCanceledException)
        {
            _ = Task.Run(() => host.Dispose(), CancellationToken.None);
            throw new ClusterConnectException(settings, tls, failures.Reason,
                e is TimeoutException ? new TimeoutException($"no gateway accepted the connection within {connectTimeout.TotalSeconds:0.#} s.", e) : e);
        }
        return host;
    }

    /// <summary>Disconnects; stops the embedded silo when this process hosts it.</summary>
    public async ValueTask DisposeAsync()
    {
        Reachability.Close();
        if (_clientHost is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _clientHost.StopAsync(stop.Token).ConfigureAwait(false);
            _clientHost.Dispose();
        }
        if (_silo is not null)
        {
            await _silo.DisposeAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>No silo serves the root of the embedded default (and the caller does not start one).</summary>
/// <param name="root">The root.</param>
public sealed class NoSiloException(Url root)
    : InvalidOperationException($"No silo serves {root}: start one first with 'tlc silo --root {root}' (a worker never starts a silo itself).")
{
    /// <summary>The root no silo serves.</summary>
    public Url Root { get; } = root;
}

/// <summary>A client of a non-embedded cluster could not connect to any gateway; the message says what TLS had to do with it.</summary>
public sealed class ClusterConnectException : InvalidOperationException
{
    internal ClusterConnectException(TlcOptions settings, bool tls, string? tlsFailure, Exception inner)
        : base(Describe(settings, tls, tlsFailure, inner), inner)
    {
    }

    private static string Describe(TlcOptions settings, bool tls, string? tlsFailure, Exception inner)
    {
        var cluster = $"cluster '{settings.Cluster.ClusterId}' ({settings.Cluster.Mode})";
        return tls
            ? $"Could not connect to {cluster} over TLS: {tlsFailure ?? inner.Message} This process presents cluster.tls.certificate ('{settings.Cluster.Tls.Certificate}'); "
              + "the silos accept it only when it was issued by their cluster.tls.authority, and this process accepts theirs only when issued by its own."
            : $"Could not connect to {cluster}: {inner.Message} If the silos use TLS (cluster.tls), set cluster.tls.certificate and cluster.tls.authority here too: "
              + "a client without a certificate issued by the cluster's authority is refused.";
    }
}

/// <summary>Keeps the first TLS handshake failure Orleans' client reports, to name it when connecting fails.</summary>
internal sealed class TlsFailureRecorder : ILoggerProvider, ILogger
{
    public string? Reason { get; private set; }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.Contains("Tls", StringComparison.Ordinal) ? this : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (exception is not null && Reason is null)
        {
            var inner = exception;
            while (inner.InnerException is not null)
            {
                inner = inner.InnerException;
            }
            Reason = inner == exception ? $"the TLS handshake failed ({exception.Message})." : $"the TLS handshake failed ({exception.Message}: {inner.Message}).";
        }
    }

    public void Dispose()
    {
    }
}
