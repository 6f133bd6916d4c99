using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc;

/// <summary>
/// A run as the process that drives it sees it (3LC's Run): parameters, status, aggregates (<see cref="LogAsync"/>),
/// metrics tables (<see cref="AddMetricsAsync"/>, <see cref="CreateMetricsWriterAsync"/>, collect_metrics).
/// While open, it sends heartbeats so that a run whose process dies reads as interrupted rather than running.
/// </summary>
public sealed partial class Run : IAsyncDisposable
{
    private const int SegmentEntries = 1000;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _heartbeat;
    private readonly List<string> _segment = [];
    private readonly Lock _logGate = new();
    private int _segmentNumber;

    internal Run(ClusterContext context, string project, string name, RunInfo info, TimeSpan heartbeat)
    {
        Context = context;
        Project = project;
        Name = name;
        Url = new Url(info.Url);
        HeartbeatInterval = heartbeat;
        _segmentNumber = info.LogSegments.Count;
        _heartbeat = HeartbeatLoopAsync(_stop.Token);
    }

    /// <summary>The context the run talks through.</summary>
    public ClusterContext Context { get; }

    /// <summary>The project.</summary>
    public string Project { get; }

    /// <summary>The run name.</summary>
    public string Name { get; }

    /// <summary>The run's folder.</summary>
    public Url Url { get; }

    /// <summary>"project/run".</summary>
    public string Key => ClusterContext.RunKey(Project, Name);

    /// <summary>How often ownership heartbeats go out (an owner is presumed dead after three missed).</summary>
    public TimeSpan HeartbeatInterval { get; }

    private IRunGrain Grain => Context.Client.GetGrain<IRunGrain>(Key);

    /// <summary>A call to the run's grain that is safe to repeat, asked again while the cluster changes (<see cref="ClusterCalls"/>).</summary>
    private Task<T> CallAsync<T>(Func<IRunGrain, Task<T>> call, CancellationToken cancellationToken) =>
        ClusterCalls.RetryAsync(() => call(Grain), Context.Reachability, cancellationToken);

    /// <inheritdoc cref="CallAsync{T}"/>
    private Task CallAsync(Func<IRunGrain, Task> call, CancellationToken cancellationToken) =>
        ClusterCalls.RetryAsync(() => call(Grain), Context.Reachability, cancellationToken);

    /// <summary>The run as the cluster knows it.</summary>
    public Task<RunInfo> GetInfoAsync(CancellationToken cancellationToken = default) => CallAsync(g => g.GetAsync(), cancellationToken);

    /// <summary>Merges hyperparameters into the run's (3LC's set_parameters).</summary>
    public Task SetParametersAsync(IReadOnlyDictionary<string, object?> parameters, CancellationToken cancellationToken = default) =>
        CallAsync(g => g.SetParametersAsync(JsonSerializer.Serialize(parameters)), cancellationToken);

    /// <summary>Sets the description.</summary>
    public Task SetDescriptionAsync(string description, CancellationToken cancellationToken = default) =>
        CallAsync(g => g.SetDescriptionAsync(description), cancellationToken);

    /// <summary>Sets the status.</summary>
    public Task SetStatusAsync(RunStatus status, CancellationToken cancellationToken = default) => CallAsync(g => g.SetStatusAsync(status), cancellationToken);

    /// <summary>Marks the run completed and stops its heartbeats.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        await CallAsync(g => g.SetStatusAsync(RunStatus.Completed), cancellationToken).ConfigureAwait(false);
        await StopHeartbeatsAsync().ConfigureAwait(false);
    }

    /// <summary>Marks the run cancelled and stops its heartbeats.</summary>
    public async Task CancelAsync(CancellationToken cancellationToken = default)
    {
        await CallAsync(g => g.SetStatusAsync(RunStatus.Cancelled), cancellationToken).ConfigureAwait(false);
        await StopHeartbeatsAsync().ConfigureAwait(false);
    }

    /// <summary>Records an input table (the exact revision used).</summary>
    public Task AddInputAsync(Table table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        return CallAsync(g => g.AddInputAsync(table.Url.Value), cancellationToken);
    }

    /// <summary>
    /// Logs aggregate values (3LC's <c>log</c>): numbers by key; <c>epoch</c> or <c>iteration</c> become the chart axis.
    /// Entries go to NDJSON segment files in the run folder; the run keeps each key's latest value.
    /// </summary>
    public async Task LogAsync(IReadOnlyDictionary<string, object?> values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var numbers = Numbers(values);
        string segment;
        byte[] content;
        lock (_logGate)
        {
            if (_segment.Count >= SegmentEntries)
            {
                _segment.Clear();
                _segmentNumber++;
            }
            _segment.Add(JsonSerializer.Serialize(numbers));
            segment = $"log/{Context.Identity.Incarnation}-{_segmentNumber:D5}.ndjson";
            content = Encoding.UTF8.GetBytes(string.Join('\n', _segment) + "\n");
        }
        await Context.Adapters.WriteAllBytesAsync(Url.Join(segment), content, WriteMode.Overwrite, cancellationToken).ConfigureAwait(false);
        await CallAsync(g => g.LogAsync(new LogUpdate(numbers, 1, segment)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Logs one rank's aggregates of a step (the values must hold <c>epoch</c> or <c>iteration</c>): once every rank of
    /// <paramref name="rank"/>'s world has logged that step, one entry is logged for the run — the step, then each key
    /// reduced over the ranks by <paramref name="reduction"/> (the run states it per key: <see cref="RunInfo.LogReductions"/>).
    /// </summary>
    /// <exception cref="ArgumentException">No step key, or a value is not a number.</exception>
    public async Task LogRankAsync(IReadOnlyDictionary<string, object?> values, RankInfo rank, LogReduction reduction = LogReduction.Mean,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(rank);
        var numbers = Numbers(values);
        var stepKey = numbers.ContainsKey("epoch") ? "epoch" : numbers.ContainsKey("iteration") ? "iteration"
            : throw new ArgumentException($"Rank {rank.Rank}'s log entry needs 'epoch' or 'iteration' to line up with the other ranks' (keys: {string.Join(", ", numbers.Keys)}).", nameof(values));
        var step = numbers[stepKey];
        numbers.Remove(stepKey);
        var reduced = await Grain.LogRankAsync(new RankLogEntry(rank.LaunchId, rank.Rank, rank.WorldSize, stepKey, step, numbers, reduction))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (reduced is not null)
        {
            // The last rank of the step writes the one entry.
            await LogAsync(reduced.ToDictionary(kv => kv.Key, kv => (object?)kv.Value), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, double> Numbers(IReadOnlyDictionary<string, object?> values)
    {
        var numbers = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, value) in values)
        {
            numbers[key] = value switch
            {
                double d => d,
                float f => f,
                int i => i,
                long l => l,
                bool b => b ? 1 : 0,
                IConvertible c when value is not string => c.ToDouble(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"Log value '{key}' is {value?.GetType().Name ?? "null"}; aggregates are numbers.", nameof(values)),
            };
        }
        return numbers;
    }

    /// <summary>Every logged entry, in order (read from the segment files).</summary>
    public async Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> ReadLogAsync(CancellationToken cancellationToken = default)
    {
        var info = await GetInfoAsync(cancellationToken).ConfigureAwait(false);
        return await ReadLogAsync(Context.Adapters, Url, info.LogSegments, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The log entries of the run at <paramref name="runUrl"/> in its log <paramref name="segments"/> (NDJSON files, as
    /// <see cref="RunInfo.LogSegments"/> lists them), in order.
    /// </summary>
    /// <exception cref="InvalidDataException">A line is not a log entry (naming the file and line).</exception>
    public static async Task<IReadOnlyList<IReadOnlyDictionary<string, double>>> ReadLogAsync(UrlAdapterRegistry adapters, Url runUrl,
        IEnumerable<string> segments, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(segments);
        var entries = new List<IReadOnlyDictionary<string, double>>();
        foreach (var segment in segments)
        {
            var file = runUrl.Join(segment);
            var text = Encoding.UTF8.GetString(await adapters.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
            var line = 0;
            foreach (var raw in text.Split('\n'))
            {
                line++;
                if (string.IsNullOrWhiteSpace(raw))
                {
                    continue;
                }
                try
                {
                    entries.Add(JsonSerializer.Deserialize<Dictionary<string, double>>(raw) ?? []);
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{file}:line {line}: not a log entry ({e.Message})", e);
                }
            }
        }
        return entries;
    }

    /// <summary>
    /// Starts a metrics table of this run over <paramref name="foreignTable"/> (3LC's MetricsTableWriter): every batch carries
    /// <c>example_id</c>; chunks stream to files and commit through the sink as they fill; disposal publishes the table.
    /// </summary>
    public Task<MetricsTableWriter> CreateMetricsWriterAsync(Table foreignTable, TableSchema columns, string? streamName = null,
        IReadOnlyDictionary<string, object?>? constants = null, MetricsWriterOptions? options = null, CancellationToken cancellationToken = default) =>
        MetricsTableWriter.CreateAsync(this, foreignTable, columns, streamName ?? "metrics", constants, options ?? new MetricsWriterOptions(), cancellationToken);

    /// <summary>
    /// Rank <paramref name="rank"/>'s writer (default: <see cref="RankInfo.FromEnvironment"/>) of this run's
    /// <paramref name="streamName"/> table of <paramref name="epoch"/> over <paramref name="foreignTable"/>, shared by every
    /// rank of the launch: each writes its own share (batches with <c>example_id</c>, streamed into chunks as with
    /// <see cref="CreateMetricsWriterAsync"/>), closes it with <see cref="MetricsTableWriter.CloseAsync"/> (or disposal), and
    /// the table — every rank's rows, each <c>example_id</c> at most once (exactly once with full coverage), with an
    /// <c>epoch</c> column — is published once every rank has closed. A restarted rank (a new attempt) replaces its
    /// unfinished share; a closed share is final. A rank that never comes back leaves the table unpublished (its job says
    /// which rank it waits for).
    /// </summary>
    /// <exception cref="InvalidOperationException">Another rank opened the table with different columns, input or world size.</exception>
    public Task<MetricsTableWriter> OpenRankWriterAsync(Table foreignTable, TableSchema columns, string streamName, int epoch, RankInfo? rank = null,
        MetricsWriterOptions? options = null, CancellationToken cancellationToken = default) =>
        MetricsTableWriter.OpenRankAsync(this, foreignTable, columns, streamName, epoch, rank ?? RankInfo.FromEnvironment(), options ?? new MetricsWriterOptions(), cancellationToken);

    /// <summary>
    /// A writer feeding the metrics table another writer of this run created (its <see cref="MetricsTableWriter.SinkId"/>),
    /// e.g. from another training rank's process: batches are validated and streamed into chunks the same way, and
    /// committed by <see cref="MetricsTableWriter.CommitAsync"/> or disposal; the creating writer publishes, once, after
    /// every attached writer has committed.
    /// </summary>
    /// <exception cref="KeyNotFoundException">There is no such sink.</exception>
    /// <exception cref="InvalidOperationException">The sink belongs to another run or is already published.</exception>
    public Task<MetricsTableWriter> AttachMetricsWriterAsync(string sinkId, MetricsWriterOptions? options = null, CancellationToken cancellationToken = default) =>
        MetricsTableWriter.AttachAsync(this, sinkId, options ?? new MetricsWriterOptions(), cancellationToken);

    /// <summary>
    /// Adds a metrics table from columns in hand (3LC's add_metrics). When the columns are 1:1 with the foreign table,
    /// <c>example_id</c> is added (0..n-1); otherwise it must be given. A length mismatch is an error.
    /// </summary>
    public async Task<Table> AddMetricsAsync(IReadOnlyDictionary<string, IList> columns, Table foreignTable, TableSchema? schema = null,
        IReadOnlyDictionary<string, object?>? constants = null, string? streamName = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(foreignTable);
        var lengths = columns.Select(kv => (kv.Key, kv.Value.Count)).ToList();
        if (lengths.Select(l => l.Count).Distinct().Count() > 1)
        {
            throw new ArgumentException($"Metrics columns differ in length: {string.Join(", ", lengths.Select(l => $"{l.Key}={l.Count}"))}.", nameof(columns));
        }
        var rows = lengths.Count == 0 ? 0 : lengths[0].Count;
        var all = new Dictionary<string, IList>(columns, StringComparer.Ordinal);
        if (!all.ContainsKey("example_id"))
        {
            if (rows != foreignTable.RowCount)
            {
                throw new ArgumentException(
                    $"The metrics have {rows} rows but {foreignTable.Url} has {foreignTable.RowCount}: give 'example_id' for metrics that are not 1:1 with the table.", nameof(columns));
            }
            all["example_id"] = Enumerable.Range(0, rows).Select(i => (long)i).ToArray();
        }
        var columnSchema = schema ?? MetricsSchemas.Infer(all.Where(kv => kv.Key != "example_id").ToDictionary());
        await using var writer = await CreateMetricsWriterAsync(foreignTable, columnSchema, streamName, constants,
            new MetricsWriterOptions { RequireFullCoverage = !columns.ContainsKey("example_id") }, cancellationToken).ConfigureAwait(false);
        await writer.AddBatchAsync(all, cancellationToken).ConfigureAwait(false);
        return await writer.PublishAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(HeartbeatInterval, Context.Time);
        try
        {
            do
            {
                try
                {
                    await Grain.HeartbeatAsync(Context.Identity, Context.Time.GetUtcNow() + (3 * HeartbeatInterval)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A missed heartbeat is retried at the next tick; three missed make the run interrupted.
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task StopHeartbeatsAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _heartbeat.ConfigureAwait(false);
    }

    /// <summary>Stops heartbeats (the run stays as it is; an active run whose owner left becomes interrupted).</summary>
    public async ValueTask DisposeAsync()
    {
        await StopHeartbeatsAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
