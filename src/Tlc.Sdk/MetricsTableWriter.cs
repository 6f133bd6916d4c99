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
/// atomically and registers it with the run. The table is a job of the stream kind (<see cref="JobKinds.Stream"/>): each
/// flushed chunk is an item the writer that wrote it owns. Several writers (e.g. training ranks) can feed one table: the
/// writer made by <see cref="Run.CreateMetricsWriterAsync"/> owns the table and publishes it; writers made by
/// <see cref="Run.AttachMetricsWriterAsync"/> with its <see cref="SinkId"/> (in any process) only commit their chunks
/// (<see cref="CommitAsync"/>, or disposal), which must happen before the owner publishes. Any bad input fails the
/// writer: it throws a clear error and publishes nothing.
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
    private int _parts;
    private readonly IJobGrain _job;
    private WorkerRef _writer;
    private int _partsPerSegment = MetricsStreamSpec.DefaultPartsPerSegment;
    private Table? _published;
    private bool _failed;
    private RankInfo? _rank;
    private bool _closed;

    private MetricsTableWriter(Run run, Table foreign, TableSchema schema, string sinkId, Url url, MetricsWriterOptions options,
        IReadOnlyDictionary<string, object?> constants, bool owner)
    {
        IsOwner = owner;
        _run = run;
        _foreign = foreign;
        _options = options;
        _constants = constants;
        Schema = schema;
        SinkId = sinkId;
        Url = url;
        _builder = new RecordBatchBuilder(schema);
        _job = run.Context.Client.GetGrain<IJobGrain>(sinkId);
        _writer = new WorkerRef(run.Context.Identity.Id, Guid.NewGuid().ToString("N")[..12]);
    }

    /// <summary>The metrics table's schema (<c>example_id</c>, the columns, the constants).</summary>
    public TableSchema Schema { get; }

    /// <summary>The id of the stream job the chunks are committed to (what attached writers name).</summary>
    public string SinkId { get; }

    /// <summary>The metrics table's folder.</summary>
    public Url Url { get; }

    /// <summary>Rows added.</summary>
    public long RowCount { get; private set; }

    /// <summary>True for the writer that created the sink (it publishes); false for writers attached to it.</summary>
    public bool IsOwner { get; }

    /// <summary>The rank this writer writes the share of, for a writer made by <see cref="Run.OpenRankWriterAsync"/>.</summary>
    public RankInfo? Rank => _rank;

    /// <summary>
    /// True when this rank's share is closed: by <see cref="CloseAsync"/>, or already when it opened (an earlier attempt of
    /// the rank closed it before the launch restarted: it is final, and rows added now are ignored).
    /// </summary>
    public bool IsClosed => _closed;

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
        var writer = new MetricsTableWriter(run, foreign, schema, sinkId, url, options, constants ?? new Dictionary<string, object?>(), owner: true);
        await JobHandle.SubmitAsync(run.Context, StreamSpec(run, foreign, sinkId, url, streamName, schema, constants, options), cancellationToken: cancellationToken)
            .ConfigureAwait(false);
        await run.AddInputAsync(foreign, cancellationToken).ConfigureAwait(false);
        return writer;
    }

    private static MetricsStreamSpec StreamSpec(Run run, Table foreign, string sinkId, Url url, string streamName, TableSchema schema,
        IReadOnlyDictionary<string, object?>? constants, MetricsWriterOptions options) => new()
        {
            JobId = sinkId,
            ItemsPerSegment = MetricsStreamSpec.DefaultPartsPerSegment,
            TableUrl = foreign.Url.Value,
            TableObjectId = foreign.Object.Id,
            TableRows = foreign.RowCount,
            RunKey = run.Key,
            MetricsTableUrl = url.Value,
            StreamName = streamName,
            OutputSchemaJson = schema.ToJson().ToJsonString(),
            ConstantsJson = constants is { Count: > 0 } ? System.Text.Json.JsonSerializer.Serialize(constants) : null,
            RequireFullCoverage = options.RequireFullCoverage,
            Submitted = run.Context.Time.GetUtcNow(),
        };

    /// <summary>A writer feeding the existing sink <paramref name="sinkId"/> of <paramref name="run"/> (see <see cref="Run.AttachMetricsWriterAsync"/>).</summary>
    internal static async Task<MetricsTableWriter> AttachAsync(Run run, string sinkId, MetricsWriterOptions options, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(sinkId);
        var job = run.Context.Client.GetGrain<IJobGrain>(sinkId);
        var spec = await ClusterCalls.RetryAsync(job.GetSpecAsync, run.Context.Reachability, cancellationToken).ConfigureAwait(false) as MetricsStreamSpec
            ?? throw new KeyNotFoundException($"No metrics sink '{sinkId}' to attach to.");
        if (spec.RunKey != run.Key)
        {
            throw new InvalidOperationException($"Metrics sink '{sinkId}' belongs to run {spec.RunKey}, not {run.Key}.");
        }
        var status = await ClusterCalls.RetryAsync(job.GetProgressAsync, run.Context.Reachability, cancellationToken).ConfigureAwait(false);
        if (status.ResultUrl is not null || status.IsFinished)
        {
            throw new InvalidOperationException($"The metrics table of sink '{sinkId}' ({status.ResultUrl ?? spec.MetricsTableUrl}) is {(status.ResultUrl is null ? status.Status.ToString().ToLowerInvariant() : "published")}: it takes no more rows.");
        }
        var foreign = await Table.OpenAsync(spec.TableUrl, run.Context.Adapters, cancellationToken).ConfigureAwait(false);
        if (foreign.Object.Id != spec.TableObjectId)
        {
            foreign.Dispose();
            throw new InvalidOperationException($"Metrics sink '{sinkId}': {spec.TableUrl} was overwritten (object {foreign.Object.Id}, the sink names {spec.TableObjectId}).");
        }
        var schema = TableSchema.FromJson(System.Text.Json.Nodes.JsonNode.Parse(spec.OutputSchemaJson), $"sink {sinkId} schema");
        return new MetricsTableWriter(run, foreign, schema, sinkId, new Url(spec.MetricsTableUrl), options, ConstantValues(spec.ConstantsJson), owner: false)
        {
            _partsPerSegment = spec.ItemsPerSegment,
        };
    }

    /// <summary>The job id of the stream of (run, stream, epoch, launch): the same in every rank's process.</summary>
    internal static string RankStreamId(string runKey, string streamName, int epoch, string launchId)
    {
        var key = string.Join('\n', runKey, streamName, epoch.ToString(System.Globalization.CultureInfo.InvariantCulture), launchId);
        return "ranks-" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)))[..24];
    }

    /// <summary>Rank <paramref name="rank"/>'s writer of the (run, stream, epoch) table of its launch (see <see cref="Run.OpenRankWriterAsync"/>).</summary>
    internal static async Task<MetricsTableWriter> OpenRankAsync(Run run, Table foreign, TableSchema columns, string streamName, int epoch, RankInfo rank,
        MetricsWriterOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(foreign);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(rank);
        Names.Validate(streamName, "stream");
        rank.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        var constants = new Dictionary<string, object?> { ["epoch"] = epoch };
        var schema = MetricsSchemas.WithSystemColumns(columns, constants);
        var sinkId = RankStreamId(run.Key, streamName, epoch, rank.LaunchId);
        var url = run.Url.Join($"metrics/{streamName}-e{epoch}-{sinkId[6..14]}");
        var spec = StreamSpec(run, foreign, sinkId, url, streamName, schema, constants, options) with
        {
            Writers = rank.WorldSize,
            Epoch = epoch,
            LaunchId = rank.LaunchId,
        };
        // Every rank submits the same job (the first one creates it); what the ranks must agree on is checked after.
        var job = run.Context.Client.GetGrain<IJobGrain>(sinkId);
        InvalidOperationException? refused = null;
        try
        {
            await JobHandle.SubmitAsync(run.Context, spec, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            // It exists as another job: say how the ranks disagree.
            refused = e;
        }
        var existing = await ClusterCalls.RetryAsync(job.GetSpecAsync, run.Context.Reachability, cancellationToken).ConfigureAwait(false) as MetricsStreamSpec
            ?? throw refused ?? new InvalidOperationException($"Job {sinkId} is not a metrics stream.");
        var differs = new List<string>();
        if (existing.OutputSchemaJson != spec.OutputSchemaJson)
        {
            differs.Add("its columns");
        }
        if (existing.TableObjectId != spec.TableObjectId)
        {
            differs.Add($"its input table ({existing.TableUrl} object {existing.TableObjectId}, this rank has {spec.TableUrl} object {spec.TableObjectId})");
        }
        if (existing.Writers != spec.Writers)
        {
            differs.Add($"the world size ({existing.Writers}, this rank says {spec.Writers})");
        }
        if (existing.RequireFullCoverage != spec.RequireFullCoverage)
        {
            differs.Add("full coverage");
        }
        if (differs.Count > 0)
        {
            throw new InvalidOperationException($"Rank {rank.Rank}: the '{streamName}' table of epoch {epoch} in run {run.Key} (launch {rank.LaunchId}) was opened by another rank with different {string.Join(", ", differs)}.");
        }
        if (refused is not null)
        {
            throw refused;
        }
        await run.AddInputAsync(foreign, cancellationToken).ConfigureAwait(false);
        // Idempotent per attempt: asked again while a silo dies under it.
        var opening = await ClusterCalls.RetryAsync(() => job.OpenWriterAsync(rank.Rank, rank.Attempt), run.Context.Reachability, cancellationToken).ConfigureAwait(false);
        return new MetricsTableWriter(run, foreign, schema, sinkId, url, options, constants, owner: false)
        {
            _rank = rank,
            _closed = opening.Closed,
            _writer = opening.Owner,
        };
    }

    /// <summary>Constants as a sink stores them (a JSON object) as .NET values.</summary>
    private static Dictionary<string, object?> ConstantValues(string? json)
    {
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(json))
        {
            return values;
        }
        using var document = System.Text.Json.JsonDocument.Parse(json);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            var value = property.Value;
            values[property.Name] = value.ValueKind switch
            {
                System.Text.Json.JsonValueKind.Number when value.TryGetInt64(out var l) => l,
                System.Text.Json.JsonValueKind.Number => value.GetDouble(),
                System.Text.Json.JsonValueKind.True => true,
                System.Text.Json.JsonValueKind.False => false,
                System.Text.Json.JsonValueKind.String => value.GetString(),
                _ => null,
            };
        }
        return values;
    }

    /// <summary>
    /// Adds rows given column-wise; <c>example_id</c> is required (row indices into the foreign table, each at most once).
    /// Constants are added by the writer. A full chunk is written and committed before this returns.
    /// </summary>
    public async Task AddBatchAsync(IReadOnlyDictionary<string, IList> columns, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ThrowIfDone();
        if (_closed && _rank is not null)
        {
            // This rank's share was closed by an earlier attempt: final.
            return;
        }
        int rows;
        try
        {
            rows = Validate(columns, out var all, out var ids);
            _builder.AddColumns(all, rows);
            foreach (var id in ids)
            {
                _ids.Add(id);
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // Bad input fails the writer: nothing of this metrics table is published.
            _failed = true;
            throw;
        }
        _pending.Add(_builder.Build());
        await AddedAsync(rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks a batch's example ids and constants; returns its row count, the columns with the constants and the ids.</summary>
    private int Validate(IReadOnlyDictionary<string, IList> columns, out Dictionary<string, IList> all, out long[] ids)
    {
        if (!columns.TryGetValue("example_id", out var given) || given is null)
        {
            throw new ArgumentException($"Metrics table {Url}: each batch needs 'example_id' (row indices into {_foreign.Url}); columns given: {string.Join(", ", columns.Keys)}.", nameof(columns));
        }
        var rows = given.Count;
        var mismatch = columns.Where(kv => kv.Value is null || kv.Value.Count != rows).Select(kv => $"{kv.Key}={kv.Value?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}").ToList();
        if (mismatch.Count > 0)
        {
            throw new ArgumentException($"Metrics table {Url}: the batch's columns differ in length (example_id={rows}, {string.Join(", ", mismatch)}).", nameof(columns));
        }
        all = new Dictionary<string, IList>(columns, StringComparer.Ordinal);
        foreach (var (name, value) in _constants)
        {
            if (all.ContainsKey(name))
            {
                throw new ArgumentException($"Metrics table {Url}: '{name}' is a constant of this metrics table; do not pass it per batch.", nameof(columns));
            }
            all[name] = Enumerable.Repeat(value, rows).ToArray();
        }
        ids = new long[rows];
        for (var i = 0; i < rows; i++)
        {
            var id = given[i] switch
            {
                long l => l,
                int n => n,
                var other => throw new ArgumentException(
                    $"Metrics table {Url}: example_id at row {RowCount + i} (batch row {i}) is {other?.GetType().Name ?? "null"}, not an integer.", nameof(columns)),
            };
            if (id < 0 || id >= _foreign.RowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(columns),
                    $"Metrics table {Url}: example_id {id} (row {RowCount + i}, batch row {i}) is outside the rows 0..{_foreign.RowCount - 1} of {_foreign.Url}.");
            }
            ids[i] = id;
        }
        return rows;
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
        IdSet ids;
        try
        {
            ids = IdSet.From(_ids);
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
        // Every grain call below is safe to repeat, so each is asked again while a silo dies under it: the part's number makes
        // a repeated add answer the same item, the operation id makes a repeated commit count once. Whatever fails for good
        // fails the writer: the rows taken from the buffer are in no part.
        CommitResult result;
        int index;
        try
        {
            (index, result) = await WritePartAsync(batches, ids, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _failed = true;
            throw;
        }
        if (result.Outcome is not (CommitOutcome.Accepted or CommitOutcome.Duplicate))
        {
            _failed = true;
            throw new InvalidOperationException($"Metrics table {Url}: the sink refused part {index}: {result.Reason}. Nothing is published.");
        }
    }

    /// <summary>Adds the next part, writes its chunk and commits it.</summary>
    private async Task<(int Index, CommitResult Result)> WritePartAsync(List<RecordBatch> batches, IdSet ids, CancellationToken cancellationToken)
    {
        var index = await CallAsync(() => _job.AddOwnedItemAsync(_writer, _parts), cancellationToken).ConfigureAwait(false);
        _parts++;
        var operation = Guid.NewGuid().ToString("N");
        var name = $"chunks/part-{index:D5}-{operation[..8]}.arrow";
        var chunk = await ChunkFiles.WriteAsync(_run.Context.Adapters, Url.Join(name), _builder.ArrowSchema, All(batches), _options.Compression, cancellationToken)
            .ConfigureAwait(false);
        var segment = _run.Context.Client.GetGrain<IJobSegmentGrain>(JobKeys.Segment(SinkId, JobKeys.SegmentOf(index, _partsPerSegment)));
        var commit = new PartCommit
        {
            Item = index,
            OperationId = operation,
            Attempt = 1,
            Rows = chunk.Rows,
            ChunkUrl = name,
            Bytes = chunk.Bytes,
            Batches = [.. chunk.Batches],
            Ids = ids,
        };
        return (index, await CallAsync(() => segment.CommitAsync(commit), cancellationToken).ConfigureAwait(false));
    }

    private static async IAsyncEnumerable<RecordBatch> All(List<RecordBatch> batches)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var batch in batches)
        {
            yield return batch;
        }
    }

    /// <summary>
    /// Writes and commits the buffered rows as a chunk (an attached writer's last step: its rows are then in the sink,
    /// ready for the owner's publication). Adding rows afterwards is allowed.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDone();
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Commits what is buffered, publishes the metrics table and returns it (idempotent). Only the owner publishes, once
    /// every attached writer has committed; a refused publication (an id twice across parts, a missing id under full
    /// coverage) fails the writer and publishes nothing.
    /// </summary>
    public async Task<Table> PublishAsync(CancellationToken cancellationToken = default)
    {
        if (_published is not null)
        {
            return _published;
        }
        if (!IsOwner)
        {
            throw new InvalidOperationException($"Metrics table {Url}: this writer is attached to sink {SinkId}; the writer that created the sink publishes (commit with CommitAsync).");
        }
        ThrowIfDone();
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        string url;
        try
        {
            url = (await CallAsync(_job.PublishAsync, cancellationToken).ConfigureAwait(false)).ResultUrl!;
        }
        catch (InvalidOperationException e)
        {
            // A refused publication (ids twice, ids missing) fails the job: that table can never be published. Parts not yet
            // committed (an attached writer still writing) can be, later.
            if ((await CallAsync(_job.GetProgressAsync, cancellationToken).ConfigureAwait(false)).Status == JobStatus.Failed)
            {
                _failed = true;
            }
            throw new InvalidOperationException($"Metrics table {Url}: {e.Message}", e);
        }
        _published = await Table.OpenAsync(url, _run.Context.Adapters, cancellationToken).ConfigureAwait(false);
        return _published;
    }

    /// <summary>
    /// Commits what is buffered and closes this rank's share (final; idempotent). The table is published by itself once every
    /// rank of the launch has closed its share (<see cref="WaitForTableAsync"/>). Only for a rank's writer. Returns the job's
    /// progress (which ranks it still waits for).
    /// </summary>
    public async Task<JobProgress> CloseAsync(CancellationToken cancellationToken = default)
    {
        if (_rank is not { } rank)
        {
            throw new InvalidOperationException($"Metrics table {Url}: only a rank's writer (Run.OpenRankWriterAsync) closes a share; this one {(IsOwner ? "publishes" : "commits")}.");
        }
        ThrowIfDone();
        if (_closed)
        {
            return await CallAsync(_job.GetProgressAsync, cancellationToken).ConfigureAwait(false);
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        JobProgress progress;
        try
        {
            progress = await CallAsync(() => _job.CloseWriterAsync(rank.Rank, rank.Attempt), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException e)
        {
            _failed = true;
            throw new InvalidOperationException($"Metrics table {Url}: {e.Message}", e);
        }
        _closed = true;
        return progress;
    }

    /// <summary>
    /// Waits until the table this writer feeds is published (a rank's writer: once every rank closed) and returns it; throws
    /// when its publication failed or it was cancelled.
    /// </summary>
    public async Task<Table> WaitForTableAsync(CancellationToken cancellationToken = default)
    {
        if (_published is not null)
        {
            return _published;
        }
        var handle = await JobHandle.AttachAsync(_run.Context, SinkId, cancellationToken).ConfigureAwait(false);
        _published = await handle.WaitAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return _published;
    }

    /// <summary>A grain call that is safe to repeat, asked again while the cluster changes under it (<see cref="ClusterCalls"/>).</summary>
    private Task<T> CallAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken) =>
        ClusterCalls.RetryAsync(call, _run.Context.Reachability, cancellationToken);

    private void ThrowIfDone()
    {
        if (_failed)
        {
            throw new InvalidOperationException($"The writer of {Url} failed earlier; it publishes nothing.");
        }
    }

    /// <summary>
    /// The owner publishes the table, a rank's writer closes its share, an attached writer commits its buffered rows —
    /// unless the writer failed (a failed writer publishes nothing, and a rank's share stays open for its next attempt).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_published is null && !_failed)
        {
            if (IsOwner)
            {
                await PublishAsync().ConfigureAwait(false);
            }
            else if (_rank is not null)
            {
                await CloseAsync().ConfigureAwait(false);
            }
            else
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        if (!IsOwner && _rank is null)
        {
            // Opened by AttachAsync; a rank's writer was given its table.
            _foreign.Dispose();
        }
    }
}
