using System.Collections;
using System.Globalization;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Configuration;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

/// <summary>
/// Writes a new table: schema up front, rows added with <see cref="AddRow"/>, <see cref="AddBatch"/> or
/// <see cref="AddRecordBatch"/>, then <see cref="FinalizeAsync"/> publishes it. Every value is validated against its column
/// (an error names the row, the column and the expected type). Memory is bounded by one record batch: rows go to chunk
/// files as they fill. Nothing is visible until the object file is published, and a writer disposed without
/// finalizing (or failing) deletes what it wrote.
/// </summary>
public sealed class TableWriter : IAsyncDisposable
{
    private const long MaxBatchBytes = 64L << 20;

    private readonly TableWriterOptions _options;
    private readonly UrlAdapterRegistry _adapters;
    private readonly SampleTypeRegistry _sampleTypes;
    private readonly TimeProvider _time;
    private readonly TableSchema _schema;
    private readonly Apache.Arrow.Schema _arrowSchema;
    private readonly ColumnBuilder[] _builders;
    private readonly Dictionary<int, IArrowArray> _constants = [];
    private readonly ISampleType?[] _encoders;
    private readonly bool[] _holdsUrls;
    private readonly StoredUrls _storedUrls;
    private readonly string[] _names;
    private readonly ChunkWriter _chunks;
    private readonly int _batchRows;
    private readonly Url _bulkFolder;
    private readonly Url? _existing;
    private readonly int _generation;
    private Url _url;
    private long _rows;
    private string? _fault;
    private bool _finished;
    private bool _bulkWritten;

    private TableWriter(TableWriterOptions options, Url url, Url? existing, int generation, UrlAliases? aliases, string? writeId = null, bool oneChunk = false)
    {
        _options = options;
        var settings = options.Settings ?? TlcSettings.Current;
        _adapters = options.Adapters ?? UrlAdapterRegistry.Default;
        _sampleTypes = options.SampleTypes ?? SampleTypeRegistry.Default;
        _time = options.TimeProvider ?? TimeProvider.System;
        _url = url;
        _existing = existing;
        _generation = generation;
        _schema = WithWeightColumn(options.Schema, options.AddWeightColumn);
        _arrowSchema = ArrowSchemas.ToArrowSchema(_schema);
        _names = [.. _schema.Names];
        _builders = _schema.Select(kv => ColumnBuilder.Create(kv.Value, kv.Key)).ToArray();
        _encoders = _schema.Select(kv => _sampleTypes.Find(kv.Value.SampleType)).ToArray();
        _holdsUrls = _schema.Select(kv => StoredUrls.HoldsUrls(kv.Value)).ToArray();
        _storedUrls = new StoredUrls(url, aliases ?? _adapters.Aliases);
        _batchRows = options.BatchRows ?? settings.Tables.BatchRows;
        var chunkRows = oneChunk ? long.MaxValue : Math.Max(options.ChunkRows ?? settings.Tables.ChunkRows, _batchRows);
        WriteId = writeId ?? $"{_time.GetUtcNow():yyyyMMddHHmmss}-{Guid.NewGuid().ToString("N")[..8]}";
        _chunks = new ChunkWriter(_adapters, url, _arrowSchema, WriteId, chunkRows, options.Compression ?? settings.Tables.Compression);
        _bulkFolder = TableLayout.BulkData(url).Join(WriteId);
    }

    /// <summary>Starts writing a table, resolving its name according to <see cref="TableWriterOptions.IfExists"/>.</summary>
    public static async Task<TableWriter> CreateAsync(TableWriterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Schema);
        if (options.Schema.Count == 0 && !options.AddWeightColumn)
        {
            throw new ArgumentException("A table needs at least one column.", nameof(options));
        }
        var adapters = options.Adapters ?? UrlAdapterRegistry.Default;
        var url = ResolveUrl(options);
        Url? existing = null;
        var generation = 0;
        if (await adapters.ExistsAsync(TableLayout.ObjectFile(url), cancellationToken).ConfigureAwait(false))
        {
            switch (options.IfExists)
            {
                case IfExists.Raise:
                    throw new TableExistsException(url);
                case IfExists.Reuse:
                    existing = url;
                    break;
                case IfExists.Rename:
                    url = await FreeNameAsync(adapters, url, cancellationToken).ConfigureAwait(false);
                    break;
                case IfExists.Overwrite:
                    var old = await ObjectFiles.ReadAsync(adapters, url, cancellationToken).ConfigureAwait(false);
                    generation = old.Revision.Generation + 1;
                    break;
            }
        }
        return new TableWriter(options, url, existing, generation, await adapters.AliasesForAsync(url, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Starts a writer that only stages rows for a table someone else publishes (a chunk of an import job): everything
    /// goes to one chunk file <c>chunks/&lt;writeId&gt;-0.arrow</c> in <paramref name="tableUrl"/>, with the same
    /// validation and weight column as a normal write; <see cref="CompleteStaging"/> returns the file instead of
    /// publishing, <see cref="DisposeAsync"/> without it deletes it.
    /// </summary>
    /// <param name="options">The writer's options.</param>
    /// <param name="tableUrl">The table the rows are staged for.</param>
    /// <param name="writeId">The write id (part of the chunk file's name).</param>
    /// <param name="aliases">The aliases URL values are stored with (the table's project's included); default: the registry's.</param>
    public static TableWriter CreateStaging(TableWriterOptions options, Url tableUrl, string writeId, UrlAliases? aliases = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(writeId);
        return new TableWriter(options, tableUrl, existing: null, generation: 0, aliases, writeId, oneChunk: true);
    }

    /// <summary>Ends a staging write (<see cref="CreateStaging"/>): closes its chunk file and returns it (none for no rows).</summary>
    public IReadOnlyList<ChunkInfo> CompleteStaging()
    {
        ThrowIfUnusable();
        FlushBatch();
        var chunks = _chunks.Complete();
        _finished = true;
        return chunks;
    }

    /// <summary>The table folder being written (it may move to the next free name at publication under <see cref="IfExists.Rename"/>).</summary>
    public Url Url => _url;

    /// <summary>The columns, including the weight column when one was added.</summary>
    public TableSchema Schema => _schema;

    /// <summary>A unique id of this write, part of every file name it makes.</summary>
    public string WriteId { get; }

    /// <summary>Rows added so far.</summary>
    public long RowCount => _rows;

    /// <summary>True when the table existed and <see cref="IfExists.Reuse"/> keeps it: finalizing returns it and discards the rows written.</summary>
    public bool Reusing => _existing is not null;

    /// <summary>Adds one row: column name → value. Missing columns take their default (or null where nullable).</summary>
    /// <param name="row">The values.</param>
    /// <param name="origin">Where the row came from (e.g. "data.csv:17"), used in error messages.</param>
    /// <exception cref="RowValidationException">A value does not fit its column; the writer is then failed.</exception>
    public void AddRow(IReadOnlyDictionary<string, object?> row, string? origin = null)
    {
        ArgumentNullException.ThrowIfNull(row);
        ThrowIfUnusable();
        try
        {
            foreach (var key in row.Keys)
            {
                if (!_schema.Contains(key))
                {
                    throw new RowValidationException(_rows, key, $"no such column (columns: {string.Join(", ", _names)})");
                }
            }
            for (var i = 0; i < _names.Length; i++)
            {
                var name = _names[i];
                object? value;
                if (!row.TryGetValue(name, out value))
                {
                    value = _schema[name] switch
                    {
                        ScalarSchema { DefaultValue: { } d } => d,
                        { Nullable: true } => null,
                        var s => throw new RowValidationException(_rows, name, $"missing value (expected {s.Describe()})"),
                    };
                }
                if (_encoders[i] is { } encoder && value is not null)
                {
                    value = encoder.Encode(value, new SampleWriteContext(name, _schema[name], _rows, _bulkFolder, _adapters));
                    _bulkWritten |= value is string s && s.StartsWith(_bulkFolder.Value, StringComparison.Ordinal);
                }
                if (_holdsUrls[i] && value is string url)
                {
                    value = _storedUrls.ToStored(url);
                }
                _builders[i].Append(value, _rows);
            }
        }
        catch (RowValidationException e)
        {
            var error = origin is null ? e : new RowValidationException(e.Row, e.Column, e.Problem, origin);
            _fault = error.Message;
            throw error;
        }
        _rows++;
        if (_builders[0].Length >= _batchRows || (_rows % 1024 == 0 && _builders.Sum(b => b.ByteSize) >= MaxBatchBytes))
        {
            FlushBatch();
        }
    }

    /// <summary>Adds rows given column-wise: column name → values, all of the same length.</summary>
    public void AddBatch(IReadOnlyDictionary<string, IEnumerable> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ThrowIfUnusable();
        var lists = columns.ToDictionary(kv => kv.Key, kv => kv.Value.Cast<object?>().ToList());
        var lengths = lists.Select(kv => kv.Value.Count).Distinct().ToList();
        if (lengths.Count > 1)
        {
            throw new ArgumentException(
                $"Batch columns differ in length: {string.Join(", ", lists.Select(kv => $"{kv.Key}={kv.Value.Count}"))}.", nameof(columns));
        }
        var n = lengths.Count == 0 ? 0 : lengths[0];
        for (var r = 0; r < n; r++)
        {
            var row = new Dictionary<string, object?>(lists.Count, StringComparer.Ordinal);
            foreach (var (name, values) in lists)
            {
                row[name] = values[r];
            }
            AddRow(row);
        }
    }

    /// <summary>
    /// Adds an Arrow record batch whose columns match the schema by name and Arrow type (the fast path of importers). A
    /// missing column with a default (such as the weight column) is filled in. Ranges, value maps and nullability are checked.
    /// </summary>
    public void AddRecordBatch(RecordBatch batch, string? origin = null) => AddRecordBatchCore(batch, origin, checkValues: true);

    /// <summary>
    /// <see cref="AddRecordBatch(RecordBatch, string?)"/> without the per-value checks (ranges, value maps, nulls), for a
    /// batch <see cref="FirstInvalidRow"/> has just passed.
    /// </summary>
    internal void AddCheckedRecordBatch(RecordBatch batch) => AddRecordBatchCore(batch, origin: null, checkValues: false);

    private void AddRecordBatchCore(RecordBatch batch, string? origin, bool checkValues)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfUnusable();
        FlushBatch();
        var arrays = new IArrowArray[_names.Length];
        try
        {
            foreach (var field in batch.Schema.FieldsList)
            {
                if (!_schema.Contains(field.Name))
                {
                    throw new RowValidationException(_rows, field.Name, $"no such column (columns: {string.Join(", ", _names)})");
                }
            }
            for (var i = 0; i < _names.Length; i++)
            {
                var name = _names[i];
                var column = _schema[name];
                var index = batch.Schema.GetFieldIndex(name);
                if (index < 0)
                {
                    arrays[i] = column switch
                    {
                        ScalarSchema { DefaultValue: { } d } => Constant(i, d, batch.Length),
                        { Nullable: true } => Constant(i, null, batch.Length),
                        _ => throw new RowValidationException(_rows, name, $"missing column (expected {column.Describe()})"),
                    };
                    continue;
                }
                var array = batch.Column(index);
                if (column is SampleWeightSchema && array is not FloatArray && NumericArrays.ToFloat(array) is { } weights)
                {
                    array = weights;
                }
                if (!ArrowSchemas.TypesEqual(array.Data.DataType, _builders[i].ArrowType))
                {
                    throw new RowValidationException(_rows, name,
                        $"expected Arrow type {ArrowSchemas.Describe(_builders[i].ArrowType)} ({column.Describe()}), got {ArrowSchemas.Describe(array.Data.DataType)}");
                }
                if (checkValues)
                {
                    BatchValidation.Check(array, column, name, _rows);
                }
                if (_holdsUrls[i] && array is StringArray urls)
                {
                    array = StringArrays.Map(urls, _storedUrls.ToStored);
                }
                arrays[i] = array;
            }
        }
        catch (RowValidationException e)
        {
            var error = origin is null ? e : new RowValidationException(e.Row, e.Column, e.Problem, origin);
            _fault = error.Message;
            throw error;
        }
        for (var offset = 0; offset < batch.Length; offset += _batchRows)
        {
            var length = Math.Min(_batchRows, batch.Length - offset);
            var slice = offset == 0 && length == batch.Length
                ? arrays
                : arrays.Select(a => ArrowArrayFactory.Slice(a, offset, length)).ToArray();
            _chunks.Write(new RecordBatch(_arrowSchema, slice, length));
        }
        _rows += batch.Length;
    }

    /// <summary>
    /// The first row of <paramref name="batch"/> (0-based in the batch) that <see cref="AddRecordBatch"/> would refuse for
    /// its value — a null in a non-nullable column, a number outside a declared range or value map — with the column and
    /// the problem; null when no row is. Nothing is written and the writer does not fail. Problems of the batch as a whole
    /// (a column of another type, a missing column) are left to <see cref="AddRecordBatch"/>.
    /// </summary>
    internal (int Row, string Column, string Problem)? FirstInvalidRow(RecordBatch batch)
    {
        (int Row, string Column, string Problem)? first = null;
        for (var i = 0; i < _names.Length; i++)
        {
            var index = batch.Schema.GetFieldIndex(_names[i]);
            if (index < 0)
            {
                continue;
            }
            var column = _schema[_names[i]];
            var array = batch.Column(index);
            if (column is SampleWeightSchema && array is not FloatArray && NumericArrays.ToFloat(array) is { } weights)
            {
                array = weights;
            }
            if (!ArrowSchemas.TypesEqual(array.Data.DataType, _builders[i].ArrowType))
            {
                continue;
            }
            var length = first?.Row ?? array.Length;
            if (length == 0)
            {
                break;
            }
            try
            {
                BatchValidation.Check(length == array.Length ? array : ArrowArrayFactory.Slice(array, 0, length), column, _names[i], 0);
            }
            catch (RowValidationException e)
            {
                first = ((int)e.Row, e.Column, e.Problem);
            }
        }
        return first;
    }

    /// <summary>
    /// Publishes the table atomically (object file last) and returns it. Under <see cref="IfExists.Reuse"/> with an existing table,
    /// returns that table and deletes what this writer wrote.
    /// </summary>
    public async Task<Table> FinalizeAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfUnusable();
        try
        {
            FlushBatch();
            var chunks = _chunks.Complete();
            if (_existing is { } existing)
            {
                await AbortAsync(cancellationToken).ConfigureAwait(false);
                _finished = true;
                return await Table.OpenAsync(existing, _adapters, cancellationToken).ConfigureAwait(false);
            }
            var writtenAt = _url;
            if (_options.IfExists == IfExists.Overwrite)
            {
                await ArchiveCurrentAsync(cancellationToken).ConfigureAwait(false);
            }
            while (true)
            {
                var table = BuildObject(chunks, writtenAt);
                try
                {
                    await ObjectFiles.PublishAsync(_adapters, _url, table,
                        _options.IfExists == IfExists.Overwrite ? WriteMode.Overwrite : WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (UrlAlreadyExistsException)
                {
                    switch (_options.IfExists)
                    {
                        case IfExists.Rename:
                            _url = await FreeNameAsync(_adapters, _url, cancellationToken).ConfigureAwait(false);
                            continue;
                        case IfExists.Reuse:
                            var winner = _url;
                            await AbortAsync(cancellationToken).ConfigureAwait(false);
                            _finished = true;
                            return await Table.OpenAsync(winner, _adapters, cancellationToken).ConfigureAwait(false);
                        default:
                            throw new TableExistsException(_url);
                    }
                }
            }
            _finished = true;
            return await Table.OpenAsync(_url, _adapters, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!_finished)
        {
            _fault ??= e.Message;
            await AbortAsync(CancellationToken.None).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Deletes everything written unless the table was published.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished)
        {
            _finished = true;
            await AbortAsync(CancellationToken.None).ConfigureAwait(false);
        }
        await _chunks.DisposeAsync().ConfigureAwait(false);
    }

    private TableObject BuildObject(IReadOnlyList<ChunkInfo> chunks, Url writtenAt)
    {
        var layout = TableLayout.Parse(_url);
        return new TableObject
        {
            Id = NewObjectId(),
            Name = _url.Name,
            Project = layout?.Project,
            Dataset = layout?.Dataset,
            Created = _time.GetUtcNow(),
            Description = _options.Description,
            RowCount = _rows,
            Schema = _schema.ToJson(),
            Lineage = _options.Lineage ?? new Lineage { Kind = LineageKinds.Source },
            Revision = new RevisionInfo { Root = _url.Name, Generation = _generation, Number = 0 },
            Chunks = chunks.Select(c => new ChunkInfo
            {
                Url = writtenAt == _url ? c.Url : ObjectFiles.Relativize(_url, writtenAt.Join(c.Url)),
                Rows = c.Rows,
                Bytes = c.Bytes,
                Batches = c.Batches,
            }).ToList(),
            Source = _options.Source,
            Properties = _options.Properties?.ToDictionary(),
        };
    }

    /// <summary>Keeps the object being overwritten under its id, so tables derived from it stay readable.</summary>
    private async Task ArchiveCurrentAsync(CancellationToken cancellationToken)
    {
        byte[] current;
        try
        {
            current = await _adapters.ReadAllBytesAsync(TableLayout.ObjectFile(_url), cancellationToken).ConfigureAwait(false);
        }
        catch (UrlNotFoundException)
        {
            return;
        }
        var old = ObjectFiles.Deserialize(current, TableLayout.ObjectFile(_url).Value);
        try
        {
            await _adapters.WriteAllBytesAsync(ObjectFiles.ArchivedObjectFile(_url, old.Id), current, WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlAlreadyExistsException)
        {
            // Archived by an earlier attempt.
        }
    }

    internal static string NewObjectId() => Guid.NewGuid().ToString("N")[..16];

    private void FlushBatch()
    {
        var length = _builders.Length == 0 ? 0 : _builders[0].Length;
        if (length == 0)
        {
            return;
        }
        var arrays = _builders.Select(b => b.Build()).ToArray();
        _chunks.Write(new RecordBatch(_arrowSchema, arrays, length));
    }

    private async Task AbortAsync(CancellationToken cancellationToken)
    {
        await _chunks.AbortAsync(cancellationToken).ConfigureAwait(false);
        if (_bulkWritten)
        {
            try
            {
                await _adapters.DeleteAsync(_bulkFolder, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }
    }

    private void ThrowIfUnusable()
    {
        if (_fault is not null)
        {
            throw new InvalidOperationException($"The writer of {_url} failed earlier and publishes nothing: {_fault}");
        }
        if (_finished)
        {
            throw new InvalidOperationException($"The writer of {_url} is finished.");
        }
    }

    /// <summary>
    /// Column <paramref name="index"/> filled with <paramref name="value"/> (its default, or null) for a batch that lacks
    /// it, e.g. the weight column of an import. Arrays are immutable: one of at least a batch's rows is made once and
    /// shorter batches get a slice of it.
    /// </summary>
    private IArrowArray Constant(int index, object? value, int length)
    {
        if (_constants.TryGetValue(index, out var cached) && cached.Length >= length)
        {
            return cached.Length == length ? cached : ArrowArrayFactory.Slice(cached, 0, length);
        }
        var template = _builders[index];
        var builder = ColumnBuilder.Create(template.Schema, template.Path);
        var rows = Math.Max(length, _batchRows);
        for (var i = 0; i < rows; i++)
        {
            builder.Append(value, i, parentNull: value is null);
        }
        var built = _constants[index] = builder.Build();
        return rows == length ? built : ArrowArrayFactory.Slice(built, 0, length);
    }

    internal static TableSchema WithWeightColumn(TableSchema schema, bool addWeight)
    {
        var copy = schema.Clone();
        if (addWeight && !copy.Any(kv => kv.Value is SampleWeightSchema))
        {
            if (copy.Find("weight") is ScalarSchema { Kind: var kind } && kind.IsNumeric())
            {
                // An input column named weight (a re-imported export, a CSV with weights) becomes the weight column.
                copy["weight"] = new SampleWeightSchema();
            }
            else if (copy.Contains("weight"))
            {
                throw new ArgumentException("The schema has a 'weight' column that is not numeric; set AddWeightColumn = false or rename it.");
            }
            else
            {
                copy.Add("weight", new SampleWeightSchema());
            }
        }
        return copy;
    }

    internal static Url ResolveUrl(TableWriterOptions options)
    {
        if (options.TableUrl is { } explicitUrl)
        {
            return explicitUrl;
        }
        var root = options.Root ?? (options.Settings ?? TlcSettings.Current).RootUrl;
        return TableLayout.Table(root, options.Project, options.Dataset, options.Table);
    }

    internal static async Task<Url> FreeNameAsync(UrlAdapterRegistry adapters, Url taken, CancellationToken cancellationToken)
    {
        var name = taken.Name;
        var stem = name;
        var underscore = name.LastIndexOf('_');
        if (underscore > 0 && name.Length - underscore == 5 && int.TryParse(name.AsSpan(underscore + 1), NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            stem = name[..underscore];
        }
        for (var i = 1; i < 100_000; i++)
        {
            var candidate = taken.Parent.Join($"{stem}_{i.ToString("D4", CultureInfo.InvariantCulture)}");
            if (!await adapters.ExistsAsync(TableLayout.ObjectFile(candidate), cancellationToken).ConfigureAwait(false))
            {
                return candidate;
            }
        }
        throw new IOException($"No free name left for {taken}.");
    }
}
