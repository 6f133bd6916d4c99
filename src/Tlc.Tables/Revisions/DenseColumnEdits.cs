using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Reading;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Revisions;

/// <summary>
/// The edit of a column set on every row of the parent, stored as a dense chunk: a plain Arrow IPC file beside the object
/// file with one column, named and typed as the table stores the edited column, holding one value per parent row in row
/// order (<see cref="ColumnEditsInfo.Chunk"/>). Random access reads only the record batch holding the row (the object
/// file lists the rows of every batch) and caches decoded batches (LRU by bytes); a scan reads the batches in order, one
/// at a time, past the cache. The file is opened on first use.
/// </summary>
internal sealed class DenseColumnEdits : IColumnEdits, IDisposable
{
    /// <summary>The bytes of decoded batches one dense edit keeps cached for random access: 64 MiB.</summary>
    public const long CacheBytes = 64L << 20;

    private readonly Url _url;
    private readonly string _column;
    private readonly ColumnSchema _schema;
    private readonly UrlAdapterRegistry _adapters;
    private readonly long[] _batchStarts;
    private readonly BatchCache _cache = new(CacheBytes);
    private readonly Lock _gate = new();
    private BatchReader? _reader;
    private Window _last = new(-1, -1, null!);

    private sealed record Window(long Start, long End, IArrowArray Values);

    private DenseColumnEdits(Url url, string column, ColumnSchema schema, UrlAdapterRegistry adapters, long[] batchStarts)
    {
        _url = url;
        _column = column;
        _schema = schema;
        _adapters = adapters;
        _batchStarts = batchStarts;
    }

    /// <summary>The number of rows (the parent's rows).</summary>
    public long RowCount => _batchStarts[^1];

    /// <inheritdoc />
    public long LastRow => RowCount - 1;

    /// <summary>
    /// The dense edit an object file at <paramref name="tableUrl"/> describes with <paramref name="chunk"/>; its URL must stay
    /// inside the table's containment folder and its batches must add up to its rows.
    /// </summary>
    public static DenseColumnEdits Open(Url tableUrl, ChunkInfo chunk, string column, ColumnSchema schema, UrlAdapterRegistry adapters, string where)
    {
        var url = ObjectFiles.Resolve(tableUrl, chunk.Url, $"dense edit chunk of '{column}'");
        var starts = new long[chunk.Batches.Count + 1];
        for (var b = 0; b < chunk.Batches.Count; b++)
        {
            if (chunk.Batches[b] <= 0)
            {
                throw new FormatException($"{where}: dense edit chunk '{chunk.Url}' of '{column}' lists an empty record batch ({b}).");
            }
            starts[b + 1] = starts[b] + chunk.Batches[b];
        }
        if (starts[^1] != chunk.Rows)
        {
            throw new FormatException($"{where}: dense edit chunk '{chunk.Url}' of '{column}' has {chunk.Rows} rows but its batches add up to {starts[^1]}.");
        }
        return new DenseColumnEdits(url, column, schema, adapters, starts);
    }

    /// <inheritdoc />
    public bool TryGet(long row, out object? value)
    {
        if ((ulong)row >= (ulong)RowCount)
        {
            value = null;
            return false;
        }
        var window = _last;
        if (row < window.Start || row >= window.End)
        {
            var batch = BatchOf(row);
            var start = _batchStarts[batch];
            var values = _cache.GetOrAdd(batch, b => Reader().Read((int)b)).Column(0);
            _last = window = new Window(start, start + values.Length, values);
        }
        value = ArrowValues.GetValue(window.Values, (int)(row - window.Start));
        return true;
    }

    /// <inheritdoc />
    public IColumnEdits ForScan() => new Scan(this);

    private int BatchOf(long row)
    {
        var i = System.Array.BinarySearch(_batchStarts, row);
        return i >= 0 ? i : ~i - 1;
    }

    private BatchReader Reader()
    {
        lock (_gate)
        {
            return _reader ??= new BatchReader(this);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _reader?.Dispose();
            _reader = null;
        }
        _cache.Clear();
    }

    /// <summary>
    /// Writes the values of <paramref name="edits"/> (which cover every row) as a dense chunk at <paramref name="url"/>
    /// (create-if-absent; added to <paramref name="written"/> before anything is written, so a failed publication deletes
    /// it) and returns its entry for the object file, named <paramref name="name"/> (relative to the table folder).
    /// </summary>
    public static async Task<ChunkInfo> WriteAsync(Url url, string name, string column, ColumnSchema schema, ColumnEdits edits, int batchRows,
        UrlAdapterRegistry adapters, List<Url> written, CancellationToken cancellationToken)
    {
        var arrowSchema = ArrowSchemas.ToArrowSchema(new TableSchema { [column] = schema });
        var info = new ChunkInfo { Url = name };
        await using var stream = adapters.OpenWrite(url, WriteMode.CreateNew);
        written.Add(url);
        using (var writer = new ArrowFileWriter(stream, arrowSchema, leaveOpen: true))
        {
            await writer.WriteStartAsync(cancellationToken).ConfigureAwait(false);
            foreach (var values in edits.ToDenseArrays(column, schema, batchRows))
            {
                cancellationToken.ThrowIfCancellationRequested();
                await writer.WriteRecordBatchAsync(new RecordBatch(arrowSchema, [values], values.Length), cancellationToken).ConfigureAwait(false);
                info.Rows += values.Length;
                info.Batches.Add(values.Length);
            }
            await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
        }
        info.Bytes = stream.Length;
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return info;
    }

    /// <summary>Checks that a dense chunk holds the column as the table stores it: one field, its name, its Arrow type.</summary>
    private void CheckSchema(Apache.Arrow.Schema schema)
    {
        var expected = ArrowSchemas.ToArrowType(_schema);
        if (schema.FieldsList.Count != 1 || schema.FieldsList[0].Name != _column || !ArrowSchemas.TypesEqual(schema.FieldsList[0].DataType, expected))
        {
            var found = string.Join(", ", schema.FieldsList.Select(f => $"{f.Name}: {ArrowSchemas.Describe(f.DataType)}"));
            throw new FormatException($"{_url}: a dense edit chunk of '{_column}' must hold one column '{_column}' of {ArrowSchemas.Describe(expected)}; it holds {found}.");
        }
    }

    private void CheckBatch(RecordBatch batch, int index)
    {
        var expected = _batchStarts[index + 1] - _batchStarts[index];
        if (batch.Length != expected)
        {
            throw new FormatException($"{_url}: record batch {index} of the dense edit of '{_column}' has {batch.Length} rows; the object file lists {expected}.");
        }
    }

    /// <summary>The open file; reads one record batch at a time by index.</summary>
    private sealed class BatchReader : IDisposable
    {
        private readonly DenseColumnEdits _owner;
        private readonly Stream _stream;
        private readonly ArrowFileReader _reader;
        private readonly Lock _gate = new();

        public BatchReader(DenseColumnEdits owner)
        {
            _owner = owner;
            _stream = owner._adapters.OpenRead(owner._url);
            try
            {
                _reader = new ArrowFileReader(_stream, allocator: null!, Storage.Compression.Codecs, leaveOpen: false);
                owner.CheckSchema(_reader.Schema);
                if (_reader.RecordBatchCountAsync().AsTask().GetAwaiter().GetResult() is var count && count != owner._batchStarts.Length - 1)
                {
                    throw new FormatException($"{owner._url}: the dense edit of '{owner._column}' has {count} record batches; the object file lists {owner._batchStarts.Length - 1}.");
                }
            }
            catch
            {
                _stream.Dispose();
                throw;
            }
        }

        public RecordBatch Read(int index)
        {
            lock (_gate)
            {
                var batch = _reader.ReadRecordBatchAsync(index).AsTask().GetAwaiter().GetResult()
                    ?? throw new FormatException($"{_owner._url}: record batch {index} of the dense edit of '{_owner._column}' is missing.");
                _owner.CheckBatch(batch, index);
                return batch;
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _reader.Dispose();
                _stream.Dispose();
            }
        }
    }

    /// <summary>
    /// One scan over the dense chunk: its own reader, each batch read once, in order, and only the current one held. Rows
    /// are asked in ascending order; a row before the current batch (never asked by a scan) falls back to random access.
    /// </summary>
    private sealed class Scan(DenseColumnEdits owner) : IColumnEdits, IDisposable
    {
        private Stream? _stream;
        private ArrowFileReader? _reader;
        private int _batch = -1;
        private IArrowArray? _values;

        public long LastRow => owner.LastRow;

        public IColumnEdits ForScan() => owner.ForScan();

        public bool TryGet(long row, out object? value)
        {
            if ((ulong)row >= (ulong)owner.RowCount)
            {
                value = null;
                return false;
            }
            var batch = owner.BatchOf(row);
            if (batch < _batch)
            {
                return owner.TryGet(row, out value);
            }
            if (batch != _batch)
            {
                if (_reader is null)
                {
                    _stream = owner._adapters.OpenRead(owner._url);
                    _reader = new ArrowFileReader(_stream, allocator: null!, Storage.Compression.Codecs, leaveOpen: true);
                    owner.CheckSchema(_reader.Schema);
                }
                // By index through the footer: a batch whose rows were all deleted is skipped, not read.
                var read = _reader.ReadRecordBatchAsync(batch).AsTask().GetAwaiter().GetResult() ?? throw new FormatException($"{owner._url}: record batch {batch} of the dense edit of '{owner._column}' is missing.");
                owner.CheckBatch(read, batch);
                _values = read.Column(0);
                _batch = batch;
            }
            value = ArrowValues.GetValue(_values!, (int)(row - owner._batchStarts[batch]));
            return true;
        }

        public void Dispose()
        {
            _reader?.Dispose();
            _stream?.Dispose();
        }
    }
}
