using Orleans.Concurrency;

namespace Tlc.Cluster;

/// <summary>A run (key "project/run"): parameters, status, aggregates, metrics tables.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Creates the run, or takes it over (reuse keeps its history).</summary>
    Task<RunInfo> InitAsync(RunInit init);

    /// <summary>The run; a run whose owner stopped sending heartbeats while it was active reads as <see cref="RunStatus.Interrupted"/>.</summary>
    Task<RunInfo> GetAsync();

    /// <summary>Merges parameters (a JSON object) into the run's.</summary>
    Task SetParametersAsync(string parametersJson);

    /// <summary>Sets the description.</summary>
    Task SetDescriptionAsync(string description);

    /// <summary>Sets the status (completed and cancelled also end ownership).</summary>
    Task SetStatusAsync(RunStatus status);

    /// <summary>Records a log call's summary.</summary>
    Task LogAsync(LogUpdate update);

    /// <summary>
    /// Takes one rank's entry of a step; once every rank of the world has reported that step, returns the reduced entry
    /// (the step key, then each key reduced over the ranks) for the caller to log, and forgets the step. Null until then.
    /// </summary>
    Task<Dictionary<string, double>?> LogRankAsync(RankLogEntry entry);

    /// <summary>Adds an input table URL (once).</summary>
    Task AddInputAsync(string tableUrl);

    /// <summary>Registers a published metrics table (once per URL).</summary>
    Task AddMetricsTableAsync(RunMetricsTable table);

    /// <summary>
    /// Records an output. An output of the same name is replaced (keeping its place) when <paramref name="replace"/>,
    /// else refused — unless it is the very same output (a repeated call), which changes nothing.
    /// </summary>
    /// <exception cref="ArgumentException">The output is not valid (<see cref="RunOutput.Problem"/>).</exception>
    /// <exception cref="InvalidOperationException">An output of that name exists and <paramref name="replace"/> is false.</exception>
    Task AddOutputAsync(RunOutput output, bool replace);

    /// <summary>Keeps ownership alive until <paramref name="deadline"/>.</summary>
    Task HeartbeatAsync(WorkerRef owner, DateTimeOffset deadline);
}

/// <summary>The workers of the cluster (key "default"): liveness by heartbeat, capabilities, draining.</summary>
public interface IWorkerRegistryGrain : IGrainWithStringKey
{
    /// <summary>Records a heartbeat; returns false when the worker was told to drain.</summary>
    Task<bool> HeartbeatAsync(WorkerInfo info);

    /// <summary>Asks a worker to take no more leases.</summary>
    Task DrainAsync(string workerId);

    /// <summary>Forgets a worker that stopped.</summary>
    Task UnregisterAsync(WorkerRef worker);

    /// <summary>Workers seen within <paramref name="within"/>.</summary>
    [ReadOnly, AlwaysInterleave]
    Task<WorkerInfo[]> ListAsync(TimeSpan within);
}

/// <summary>
/// The catalog of one table lineage in a cluster (key: the lineage root table URL): its head revision. It rebuilds
/// itself from the files when it activates; publishing a revision is compare-and-swap on the head plus create-if-absent
/// of the object file.
/// </summary>
public interface ITableLineageGrain : IGrainWithStringKey
{
    /// <summary>The head revision's URL.</summary>
    Task<string> GetHeadAsync();

    /// <summary>Records <paramref name="revision"/> (already published as a file) as the head after <paramref name="baseRevision"/>; false when the base is not the head.</summary>
    Task<bool> AdvanceAsync(string baseRevision, string revision);
}
