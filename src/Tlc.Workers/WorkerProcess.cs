using System.Globalization;
using Microsoft.Extensions.Logging;
using Tlc.Metrics;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using TorchSharp;

namespace Tlc.Workers;

/// <summary>
/// A worker process: connects to the cluster (never starting a silo), loads plugin folders into the model and collector
/// registries, sets libtorch's threads and the device, then runs a <see cref="WorkerHost"/> with a
/// <see cref="MetricsShardExecutor"/> until asked to stop, logging one line per shard. A stop request drains: current
/// shards finish and commit, no new leases are taken, and the process ends with 0. <c>tlc worker</c> and
/// <c>dotnet Tlc.Workers.dll</c> both run this. It exports metrics while it runs when <c>observability</c> settings ask
/// (<see cref="TlcTelemetry"/>). When its silo goes away the worker keeps running: it logs the outage once, finds the
/// root's next silo by itself (on whatever ports it took) and logs once when a silo answers again.
/// </summary>
public static class WorkerProcess
{
    /// <summary>The line a worker prints once it pulls leases (tests and scripts wait for it).</summary>
    public const string ReadyMarker = "ready:";

    /// <summary>Runs the worker until <paramref name="cancellationToken"/> asks it to stop; returns the exit code (0).</summary>
    /// <param name="settings">Tlc's settings (root, cluster).</param>
    /// <param name="options">How the worker runs.</param>
    /// <param name="output">Where status lines go (shard lines go to the console log).</param>
    /// <param name="cancellationToken">Cancelled on Ctrl+C or SIGTERM: the worker drains and stops.</param>
    /// <exception cref="NoSiloException">The embedded default and no silo serves the root.</exception>
    /// <exception cref="ArgumentException">A bad option (device, threads, concurrency).</exception>
    public static async Task<int> RunAsync(TlcOptions settings, WorkerProcessOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(output);
        Validate(options);
        var device = Devices.Name(Devices.Resolve(options.Device));
        var models = new List<string>();
        var collectors = new List<string>();
        foreach (var folder in options.PluginFolders)
        {
            models.AddRange(ModelRegistry.Default.LoadPlugins(folder));
            collectors.AddRange(CollectorRegistry.Default.LoadPlugins(folder));
        }
        using var metrics = TlcTelemetry.StartMetricsExport(settings.Observability, "tlc-worker");
        var torchThreads = options.TorchThreads ?? Environment.ProcessorCount;
        torch.set_num_threads(torchThreads);

        using var loggers = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Tlc", LogLevel.Information));
        // Liveness answers from here on; readiness once connected to a gateway and registered.
        ClusterConnection? connected = null;
        WorkerHost? running = null;
        ValueTask<string?> Readiness(CancellationToken _) => ValueTask.FromResult(
            connected is null || running is null ? "connecting to the cluster"
            : connected.Reachability.Outage is { } outage ? $"no gateway of {outage.Cluster} answers (since {outage.Since:HH:mm:ss} UTC)"
            : running.IsDraining ? "draining"
            : !running.IsRegistered ? "not registered with the worker registry (no heartbeat accepted lately)"
            : null);
        await using var health = await HealthEndpoints.StartAsync(settings.Health, Readiness, cancellationToken).ConfigureAwait(false);
        await using var connection = await ClusterConnection.ConnectAsync(settings, startSiloIfNone: false, cancellationToken).ConfigureAwait(false);
        connected = connection;
        // Jobs of a cluster spanning machines come from others: their file URLs (inputs, images, weights) are read only inside
        // the root, the aliases' folders and security.file_roots. An embedded cluster's clients are this machine's own
        // processes; security.restrict_file_urls restricts it too (TlcConfiguration.Apply).
        var restricted = !settings.Cluster.IsEmbedded || settings.Security.RestrictFileUrls
            ? TlcConfiguration.RestrictFiles(settings, connection.Adapters)
            : null;
        using var executor = new MetricsShardExecutor(connection.Adapters, decodeThreads: options.DecodeThreads) { Device = device };
        var host = new WorkerHost(connection.Context, executor, new WorkerOptions
        {
            WorkerId = options.WorkerId,
            MaxConcurrentShards = options.ConcurrentShards,
            PollInterval = options.PollInterval,
            Device = device,
        }, loggers.CreateLogger<WorkerHost>());
        running = host;
        using var outages = connection.Reachability.Subscribe(new WorkerOutageLog(loggers.CreateLogger<WorkerHost>(), host.Identity.Id));

        using var hardStop = new CancellationTokenSource();
        var run = host.RunAsync(hardStop.Token);
        var cluster = settings.Cluster.IsShared ? $"cluster '{settings.Cluster.ClusterId}' ({settings.Cluster.Mode})" : $"the silo of {settings.RootUrl}";
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Worker {host.Identity.Id} {ReadyMarker} {cluster}; device {device}; {torchThreads} torch thread(s); {options.ConcurrentShards} shard(s) at once; " +
            $"plugin models [{string.Join(", ", models)}], plugin collectors [{string.Join(", ", collectors)}]. Ctrl+C or SIGTERM drains and stops it.")).ConfigureAwait(false);
        if (restricted is not null)
        {
            await output.WriteLineAsync($"Worker {host.Identity.Id}: file URLs only inside {string.Join(", ", restricted.Folders)}.").ConfigureAwait(false);
        }
        if (health is not null)
        {
            await output.WriteLineAsync(HealthEndpoints.Describe(health)).ConfigureAwait(false);
        }
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);

        try
        {
            await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await output.WriteLineAsync($"Worker {host.Identity.Id} draining: finishing its current shards, taking no new ones.").ConfigureAwait(false);
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            host.Drain();
            try
            {
                await run.WaitAsync(options.DrainTimeout, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await output.WriteLineAsync($"Worker {host.Identity.Id}: shards still running after {options.DrainTimeout.TotalSeconds:F0} s are dropped (their leases expire).").ConfigureAwait(false);
                await hardStop.CancelAsync().ConfigureAwait(false);
                await run.ConfigureAwait(false);
            }
        }
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Worker {host.Identity.Id} stopped: {host.ShardsCommitted} shard(s) committed, {host.ShardsFailed} failed.")).ConfigureAwait(false);
        await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        return 0;
    }

    private static void Validate(WorkerProcessOptions options)
    {
        if (options.ConcurrentShards < 1)
        {
            throw new ArgumentException($"Concurrent shards must be at least 1, got {options.ConcurrentShards}.", nameof(options));
        }
        if (options.TorchThreads is < 1)
        {
            throw new ArgumentException($"Torch threads must be at least 1, got {options.TorchThreads}.", nameof(options));
        }
        if (options.DecodeThreads is < 1)
        {
            throw new ArgumentException($"Decode threads must be at least 1, got {options.DecodeThreads}.", nameof(options));
        }
        if (options.PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"The poll interval must be positive, got {options.PollInterval}.", nameof(options));
        }
    }
}
