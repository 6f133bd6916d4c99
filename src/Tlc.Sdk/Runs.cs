using System.Globalization;
using System.Text.Json;
using Tlc.Cluster;
using Tlc.Tables.Configuration;

namespace Tlc;

/// <summary>
/// The entry points a training script calls (3LC's <c>tlc.init</c>, <c>tlc.log</c>, <c>tlc.collect_metrics</c>):
/// <see cref="InitAsync(string, string, IReadOnlyDictionary{string, object?}?, RunIfExists, string?, CancellationToken)"/>
/// starts (and makes active) a run on the process's cluster connection — the configured cluster, or the embedded silo
/// of the root. The connection is opened on first use and shared; <see cref="ShutdownAsync"/> closes it.
/// </summary>
public static class Runs
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static ClusterConnection? _connection;

    /// <summary>The active run (the one the last init started), or null.</summary>
    public static Run? Active { get; private set; }

    /// <summary>How often runs send ownership heartbeats: 10 s (a run is interrupted after three missed ones).</summary>
    public static TimeSpan HeartbeatInterval { get; } = TimeSpan.FromSeconds(10);

    /// <summary>The process's connection to the cluster, opened on first use with <paramref name="settings"/> (default: the process settings).</summary>
    public static async Task<ClusterContext> ConnectAsync(TlcOptions? settings = null, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _connection ??= await ClusterConnection.ConnectAsync(settings ?? TlcSettings.Current, cancellationToken).ConfigureAwait(false);
            return _connection.Context;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Starts a run on the process's connection and makes it active.</summary>
    public static async Task<Run> InitAsync(string project, string runName, IReadOnlyDictionary<string, object?>? parameters = null,
        RunIfExists ifExists = RunIfExists.Rename, string? description = null, CancellationToken cancellationToken = default)
    {
        var context = await ConnectAsync(null, cancellationToken).ConfigureAwait(false);
        return await InitAsync(context, project, runName, parameters, ifExists, description, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a run through <paramref name="context"/> and makes it active.</summary>
    public static async Task<Run> InitAsync(ClusterContext context, string project, string runName, IReadOnlyDictionary<string, object?>? parameters = null,
        RunIfExists ifExists = RunIfExists.Rename, string? description = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Names.Validate(runName, "run");
        var existing = await context.RunGrain(project, name).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (existing.Exists)
        {
            switch (ifExists)
            {
                case RunIfExists.Raise:
                    throw new InvalidOperationException($"The run {project}/{name} exists (use RunIfExists.Reuse, Rename or Overwrite).");
                case RunIfExists.Rename:
                    for (var i = 1; ; i++)
                    {
                        var candidate = $"{name}_{i.ToString("D4", CultureInfo.InvariantCulture)}";
                        if (!(await context.RunGrain(project, candidate).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Exists)
                        {
                            name = candidate;
                            break;
                        }
                    }
                    break;
            }
        }
        var info = await context.RunGrain(project, name).InitAsync(new RunInit(project, name, context.RunUrl(project, name).Value, description,
            JsonSerializer.Serialize(parameters ?? new Dictionary<string, object?>()), context.Identity, ifExists == RunIfExists.Reuse))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var run = new Run(context, project, name, info, HeartbeatInterval);
        Active = run;
        return run;
    }

    /// <summary>
    /// An existing run, without taking it over (e.g. in a training rank other than the one that started it): its owner
    /// and status stay as they are; heartbeats from this process count only if it is the owner.
    /// </summary>
    /// <exception cref="KeyNotFoundException">There is no such run.</exception>
    public static async Task<Run> OpenAsync(ClusterContext context, string project, string runName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Names.Validate(runName, "run");
        var info = await context.RunGrain(project, name).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!info.Exists)
        {
            throw new KeyNotFoundException($"Unknown run '{ClusterContext.RunKey(project, name)}': start it with Runs.InitAsync first.");
        }
        return new Run(context, project, name, info, HeartbeatInterval);
    }

    /// <summary>Logs aggregates on the active run (3LC's <c>tlc.log</c>).</summary>
    public static Task LogAsync(IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken = default) =>
        (Active ?? throw new InvalidOperationException("No active run: call Runs.InitAsync first.")).LogAsync(values, cancellationToken);

    /// <summary>Distributed collect_metrics on the active run (3LC's <c>tlc.collect_metrics</c> with model and collector specs).</summary>
    public static Task<Table> CollectMetricsAsync(Table table, Metrics.ModelSpec model, IReadOnlyList<Metrics.CollectorSpec> collectors,
        CollectOptions? options = null, CancellationToken cancellationToken = default) =>
        (Active ?? throw new InvalidOperationException("No active run: call Runs.InitAsync first.")).CollectMetricsAsync(table, model, collectors, options, cancellationToken);

    /// <summary>In-process collect_metrics on the active run with a live predictor and collectors.</summary>
    public static Task<Table> CollectMetricsAsync(Table table, Metrics.IPredictor predictor, IReadOnlyList<Metrics.IMetricsCollector> collectors,
        CollectOptions? options = null, CancellationToken cancellationToken = default) =>
        (Active ?? throw new InvalidOperationException("No active run: call Runs.InitAsync first.")).CollectMetricsAsync(table, predictor, collectors, options, cancellationToken);

    /// <summary>Closes the active run's heartbeats and the process's connection (stopping the embedded silo if this process hosts it).</summary>
    public static async Task ShutdownAsync()
    {
        if (Active is { } run)
        {
            await run.DisposeAsync().ConfigureAwait(false);
            Active = null;
        }
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
                _connection = null;
            }
        }
        finally
        {
            Gate.Release();
        }
    }
}
