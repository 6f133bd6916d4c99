namespace Tlc.Cluster;

/// <summary>Where a run is (3LC's run status, plus <see cref="Interrupted"/> for a run whose process died).</summary>
public enum RunStatus
{
    /// <summary>Created, nothing recorded yet.</summary>
    Empty,
    /// <summary>Collecting metrics.</summary>
    Collecting,
    /// <summary>Training.</summary>
    Running,
    /// <summary>Post-processing (e.g. reducing embeddings).</summary>
    PostProcessing,
    /// <summary>Finished.</summary>
    Completed,
    /// <summary>Stopped on purpose.</summary>
    Cancelled,
    /// <summary>Paused.</summary>
    Paused,
    /// <summary>Its owning process stopped sending heartbeats before completing or cancelling it.</summary>
    Interrupted,
}

/// <summary>A metrics table registered on a run (3LC's run metrics list).</summary>
/// <param name="Url">The metrics table's folder.</param>
/// <param name="StreamName">Its stream name (e.g. "val").</param>
/// <param name="RowCount">Its rows.</param>
/// <param name="FileSize">The bytes of its chunk files.</param>
/// <param name="ForeignTableUrl">The exact input table revision its example ids index.</param>
/// <param name="ConstantsJson">Constants stored with it (e.g. <c>{"epoch": 3}</c>), as JSON.</param>
[GenerateSerializer, Immutable]
public sealed record RunMetricsTable(
    [property: Id(0)] string Url,
    [property: Id(1)] string StreamName,
    [property: Id(2)] long RowCount,
    [property: Id(3)] long FileSize,
    [property: Id(4)] string ForeignTableUrl,
    [property: Id(5)] string? ConstantsJson);

/// <summary>Everything known about a run.</summary>
[GenerateSerializer]
public sealed class RunInfo
{
    /// <summary>The project.</summary>
    [Id(0)] public string Project { get; set; } = "";

    /// <summary>The run name.</summary>
    [Id(1)] public string Name { get; set; } = "";

    /// <summary>The run's folder URL.</summary>
    [Id(2)] public string Url { get; set; } = "";

    /// <summary>A description.</summary>
    [Id(3)] public string? Description { get; set; }

    /// <summary>Hyperparameters as a JSON object.</summary>
    [Id(4)] public string ParametersJson { get; set; } = "{}";

    /// <summary>The status.</summary>
    [Id(5)] public RunStatus Status { get; set; }

    /// <summary>When it was created.</summary>
    [Id(6)] public DateTimeOffset Created { get; set; }

    /// <summary>When it last changed.</summary>
    [Id(7)] public DateTimeOffset Updated { get; set; }

    /// <summary>Input tables (URLs of the exact revisions used).</summary>
    [Id(8)] public List<string> Inputs { get; set; } = [];

    /// <summary>Metrics tables, in registration order.</summary>
    [Id(9)] public List<RunMetricsTable> MetricsTables { get; set; } = [];

    /// <summary>The latest value of each logged aggregate, by key.</summary>
    [Id(10)] public Dictionary<string, double> LatestAggregates { get; set; } = [];

    /// <summary>How many log entries were recorded.</summary>
    [Id(11)] public long LogEntries { get; set; }

    /// <summary>The log segment files holding every logged entry (NDJSON), in order.</summary>
    [Id(12)] public List<string> LogSegments { get; set; } = [];

    /// <summary>The process that owns the run while it is active (client id and incarnation), if any.</summary>
    [Id(13)] public WorkerRef? Owner { get; set; }

    /// <summary>When the owner's last heartbeat expires.</summary>
    [Id(14)] public DateTimeOffset OwnerDeadline { get; set; }

    /// <summary>True once the run exists (a fresh grain says false).</summary>
    [Id(15)] public bool Exists { get; set; }

    // Id 16 held output URLs (never filled) before outputs were records; it is not reused.

    /// <summary>What the run produced (models, exports, files), in the order first recorded; one per name.</summary>
    [Id(19)] public List<RunOutput> Outputs { get; set; } = [];

    /// <summary>How logged keys were reduced across ranks (key → e.g. "mean of 3 ranks"), for keys logged by ranks.</summary>
    [Id(17)] public Dictionary<string, string> LogReductions { get; set; } = [];

    /// <summary>Ranks' log entries of steps some rank has not reported yet (key: launch and step), reduced once all have.</summary>
    [Id(18)] public Dictionary<string, PendingRankLog> PendingRankLogs { get; set; } = [];

    /// <summary>A copy.</summary>
    public RunInfo Clone()
    {
        var copy = (RunInfo)MemberwiseClone();
        copy.Inputs = [.. Inputs];
        copy.MetricsTables = [.. MetricsTables];
        copy.LatestAggregates = new Dictionary<string, double>(LatestAggregates);
        copy.LogSegments = [.. LogSegments];
        copy.Outputs = [.. Outputs];
        copy.LogReductions = new Dictionary<string, string>(LogReductions);
        copy.PendingRankLogs = PendingRankLogs.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        return copy;
    }
}

/// <summary>A request to create (or reuse) a run.</summary>
/// <param name="Project">The project.</param>
/// <param name="Name">The run name.</param>
/// <param name="Url">The run's folder URL.</param>
/// <param name="Description">A description.</param>
/// <param name="ParametersJson">Hyperparameters as a JSON object.</param>
/// <param name="Owner">The process that drives the run.</param>
/// <param name="Reuse">True to keep an existing run's history (3LC's if_exists=reuse); false starts it over.</param>
[GenerateSerializer, Immutable]
public sealed record RunInit(
    [property: Id(0)] string Project,
    [property: Id(1)] string Name,
    [property: Id(2)] string Url,
    [property: Id(3)] string? Description,
    [property: Id(4)] string ParametersJson,
    [property: Id(5)] WorkerRef Owner,
    [property: Id(6)] bool Reuse);

/// <summary>What one <c>Log</c> call adds: the keys' latest values and the segment file the entries were appended to.</summary>
/// <param name="Values">Key → value of the entries (the last value per key).</param>
/// <param name="Entries">How many entries.</param>
/// <param name="Segment">The log segment file the entries went to (relative to the run folder), if new.</param>
[GenerateSerializer, Immutable]
public sealed record LogUpdate(
    [property: Id(0)] Dictionary<string, double> Values,
    [property: Id(1)] long Entries,
    [property: Id(2)] string? Segment);

/// <summary>How ranks' values of one log key become one value per step.</summary>
public enum LogReduction
{
    /// <summary>The mean over the ranks (a loss averaged over equal shares).</summary>
    Mean,

    /// <summary>The sum over the ranks (counts).</summary>
    Sum,
}

/// <summary>One rank's log entry of one step (<see cref="IRunGrain.LogRankAsync"/>).</summary>
/// <param name="LaunchId">The launch the rank belongs to.</param>
/// <param name="Rank">The rank.</param>
/// <param name="WorldSize">The number of ranks that report each step.</param>
/// <param name="StepKey">The step's key ("epoch" or "iteration").</param>
/// <param name="Step">The step.</param>
/// <param name="Values">The rank's values (the step key left out).</param>
/// <param name="Reduction">How the ranks' values are reduced.</param>
[GenerateSerializer, Immutable]
public sealed record RankLogEntry(
    [property: Id(0)] string LaunchId,
    [property: Id(1)] int Rank,
    [property: Id(2)] int WorldSize,
    [property: Id(3)] string StepKey,
    [property: Id(4)] double Step,
    [property: Id(5)] Dictionary<string, double> Values,
    [property: Id(6)] LogReduction Reduction);

/// <summary>The ranks' entries of one step so far.</summary>
[GenerateSerializer]
public sealed class PendingRankLog
{
    /// <summary>Each rank's values (a rank that reports again replaces its values).</summary>
    [Id(0)] public Dictionary<int, Dictionary<string, double>> Ranks { get; set; } = [];

    /// <summary>A copy.</summary>
    public PendingRankLog Clone() => new() { Ranks = Ranks.ToDictionary(kv => kv.Key, kv => new Dictionary<string, double>(kv.Value)) };
}
