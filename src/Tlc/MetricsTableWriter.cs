using System.Collections;
using Apache.Arrow;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Storage;

namespace Tlc;

/// <summary>
/// Writes a metrics table of a run, batch by batch (3LC's MetricsTableWriter), with memory bounded by one chunk: every
/// batch carries <c>example_id</c> (row indices into the foreign table, checked against it), rows stream into chunk files
/// that are committed through the sink as they fill, and <see cref="PublishAsync"/> (or disposal) publishes the table
/// atomically and registers it with the run. Several writers (e.g. training ranks) can feed one sink.
/// </summary>
public sealed class MetricsTableWriter : IAsyncDisposable
{
    private readonly Run _run;
    private readonly Table _foreign;
    private readonly MetricsWriterOptions _options;
    private readonly IReadOnlyDictionary<string, object?> _constants;
    private readonly RecordBatchBuilder _builder;
    private readonly List<long> _ids = [];
    private readonly List<RecordBatch> _pending = [];
    private long _pendingRows;
    private readonly ISinkGrain _sink;
    private Table? _published;
    private bool _failed;

    private MetricsTableWriter(Run run, Table foreign, TableSchema schema, string sinkId, Url url, MetricsWriterOptions options,
        IReadOnlyDictionary<string, object?> constants)
    {
        _run = run;
        _foreign = foreign;
        _options = options;
        _constants = constants;
        Schema = schema;
        SinkId = sinkId;
        Url = url;
        _builder = new RecordBatchBuilder(schema);
        _sink = run.Context.Client.GetGrain<ISinkGrain>(sinkId);
    }

    /// <summary>The metrics table's schema (<c>example_id</c>, the columns, the constants).</summary>
    public TableSchema Schema { get; }

    /// <summary>The sink's id.</summary>
    public string SinkId { get; }

    /// <summary>The metrics table's folder.</summary>
    public Url Url { get; }

    /// <summary>Rows added.</summary>
    public long RowCount { get; private set; }

    internal static Task<MetricsTableWriter> CreateAsync(Run run, Table foreign, TableSchema columns, string streamName,
        IReadOnlyDictionary<string, object?>? constants, MetricsWriterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return CreateWithSchemaAsync(run, foreign, MetricsSchemas.WithSystemColumns(columns, constants), streamName, constants, options, cancellationToken);
    }

    /// <summary>Starts a writer whose <paramref name="schema"/> already holds <c>example_id</c> and the constant columns (record batches come complete).</summary>
    internal static async Task<MetricsTableWriter> CreateWithSchemaAsync(Run run, Table foreign, TableSchema schema, string streamName,
        IReadOnlyDictionary<string, object?>? constants, MetricsWriterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        Names.Validate(streamName, "stream");
        var sinkId = Guid.NewGuid().ToString("N");
        var url = run.Url.Join($"metrics/{streamName}-{sinkId[..8]}");
        var writer = new MetricsTableWriter(run, foreign, schema, sinkId, url, options, constants ?? new Dictionary<string, object?>());
        await writer._sink.InitAsync(new SinkSpec(sinkId, url.Value, schema.ToJson().ToJsonString(), foreign.Url.Value, foreign.Object.Id, foreign.RowCount,
            run.Key, streamName, constants is { Count: > 0 } ? System.Text.Json.JsonSerializer.Serialize(constants) : null, 0, options.RequireFullCoverage))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        await run.AddInputAsync(foreign, cancellationToken).ConfigureAwait(false);
        return writer;
    }

    /// <summary>
    /// Adds rows given column-wise; <c>example_id</c> is required (row indices into the foreign table, each at most once).
    /// Constants are added by the writer. A full chunk is written and committed before this returns.
    /// </summary>
    public async Task AddBatchAsync(IReadOnlyDictionary<string, IList> columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ThrowIfDone();
        if (!columns.TryGetValue("example_id", out var ids))
        {
            throw new ArgumentException("Each metrics batch needs 'example_id' (row indices into the foreign table).", nameof(columns));
        }
        var rows = ids.Count;
        var all = new Dictionary<string, IList>(columns, StringComparer.Ordinal);
        foreach (var (name, value) in _constants)
        {
            if (all.ContainsKey(name))
            {
                throw new ArgumentException($"'{name}' is a constant of this metrics table; do not pass it per batch.", nameof(columns));
            }
            all[name] = Enumerable.Repeat(value, rows).ToArray();
        }
        for (var i = 0; i < rows; i++)
        {
            var id = ids[i] switch
            {
                long l => l,
                int n => n,
                var other => throw new ArgumentException($"example_id at batch row {i} is {other?.GetType().Name ?? "null"}, not an integer.", nameof(columns)),
            };
            if (id < 0 || id >= _foreign.RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(columns),
                    $"example_id {id} (batch row {i}) is outside the rows 0..{_foreign.RowCount - 1} of {_foreign.Url}.");
            }
        }
        try
        {
            _builder.AddColumns(all, rows);
        }
        catch
        {
            _failed = true;
            throw;
        }
        for (var i = 0; i < rows; i++)
        {
            _ids.Add(Convert.ToInt64(ids[i], System.Globalization.CultureInfo.InvariantCulture));
        }
        _pending.Add(_builder.Build());
        await AddedAsync(rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds a complete record batch of <see cref="Schema"/> (as <see cref="MetricsRunner"/> makes them).</summary>
    internal async Task AddRecordBatchAsync(RecordBatch batch, CancellationToken cancellationToken)
    {
        ThrowIfDone();
        var expected = _builder.ArrowSchema;
        if (!batch.Schema.FieldsList.Select(f => f.Name).SequenceEqual(expected.FieldsList.Select(f => f.Name))
            || !batch.Schema.FieldsList.Zip(expected.FieldsList).All(p => Tables.Arrow.ArrowSchemas.TypesEqual(p.First.DataType, p.Second.DataType)))
        {
            _failed = true;
            throw new ArgumentException($"Metrics table {Url}: a record batch with columns ({string.Join(", ", batch.Schema.FieldsList.Select(f => f.Name))}) does not match ({string.Join(", ", expected.FieldsList.Select(f => f.Name))}).");
        }
        var ids = (Int64Array)batch.Column("example_id");
        for (var i = 0; i < ids.Length; i++)
        {
            var id = ids.GetValue(i) ?? -1;
            if (id < 0 || id >= _foreign.RowCount)
            {
                _failed = true;
                throw new ArgumentOutOfRangeException(nameof(batch), $"example_id {id} is outside the rows 0..{_foreign.RowCount - 1} of {_foreign.Url}.");
            }
            _ids.Add(id);
        }
        _pending.Add(batch);
        await AddedAsync(batch.Length, cancellationToken).ConfigureAwait(false);
    }

    private async Task AddedAsync(int rows, CancellationToken cancellationToken)
    {
        RowCount += rows;
        _pendingRows += rows;
        if (_pendingRows >= _options.ChunkRows)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes and commits the buffered rows as one chunk.</summary>
    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_pendingRows == 0)
        {
            return;
        }
        var sorted = _ids.ToArray();
        System.Array.Sort(sorted);
        List<IdRun> runs;
        try
        {
            runs = ExampleIds.Runs(sorted);
        }
        catch (InvalidOperationException e)
        {
            _failed = true;
            throw new InvalidOperationException($"Metrics table {Url}: {e.Message} Nothing is published.", e);
        }
        var batches = _pending.ToList();
        _pending.Clear();
        _pendingRows = 0;
        _ids.Clear();
        var index = await _sink.AddPartAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var operation = Guid.NewGuid().ToString("N");
        var name = $"chunks/part-{index:D5}-{operation[..8]}.arrow";
        var chunk = await ChunkFiles.WriteAsync(_run.Context.Adapters, Url.Join(name), _builder.ArrowSchema, All(batches), _options.Compression, cancellationToken)
            .ConfigureAwait(false);
        var result = await _run.Context.Client.GetGrain<IPartGrain>($"{SinkId}/{index}")
            .CommitAsync(new PartCommit(operation, 0, null, name, chunk.Rows, chunk.Bytes, [.. chunk.Batches], [.. runs]))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        if (result.Outcome is not (CommitOutcome.Accepted or CommitOutcome.Duplicate))
        {
            _failed = true;
            throw new InvalidOperationException($"Metrics table {Url}: the sink refused chunk {index}: {result.Reason}. Nothing is published.");
        }
    }

    private static async IAsyncEnumerable<RecordBatch> All(List<RecordBatch> batches)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var batch in batches)
        {
            yield return batch;
        }
    }

    /// <summary>Commits what is buffered, publishes the metrics table and returns it (idempotent).</summary>
    public async Task<Table> PublishAsync(CancellationToken cancellationToken = default)
    {
        if (_published is not null)
        {
            return _published;
        }
        ThrowIfDone();
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        var url = await _sink.PublishAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _published = await Table.OpenAsync(url, _run.Context.Adapters, cancellationToken).ConfigureAwait(false);
        return _published;
    }

    private void ThrowIfDone()
    {
        if (_failed)
        {
            throw new InvalidOperationException($"The writer of {Url} failed earlier; it publishes nothing.");
        }
    }

    /// <summary>Publishes the table unless the writer failed (a failed writer publishes nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_published is null && !_failed)
        {
            await PublishAsync().ConfigureAwait(false);
        }
    }
}
