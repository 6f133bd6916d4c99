using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Reading;

/// <summary>
/// Values stored in the table's own Arrow chunk files. Random access opens a chunk's file once and caches decoded
/// record batches (LRU by bytes), so <c>table[i]</c> reads only the batch holding row i.
/// </summary>
internal sealed class ChunkedData : TableData
{
    private readonly TableSchema _schema;
    private readonly UrlAdapterRegistry _adapters;
    private readonly Url[] _chunkUrls;
    private readonly long[] _chunkStarts;
    private readonly long[][] _batchStarts;
    private readonly ChunkReader?[] _readers;
    private readonly BatchCache _cache;
    private readonly long _rows;
    private readonly Lock _readerGate = new();
    private Window _last = new(-1, -1, null!);

    private sealed record Window(long Start, long End, RecordBatch Batch);

    public ChunkedData(Url tableUrl, TableObject table, TableSchema schema, UrlAdapterRegistry adapters, long cacheBytes)
    {
        _schema = schema;
        _adapters = adapters;
        _chunkUrls = table.Chunks.Select(c => ObjectFiles.Resolve(tableUrl, c.Url, "chunk url")).ToArray();
        _chunkStarts = new long[table.Chunks.Count + 1];
        _batchStarts = new long[table.Chunks.Count][];
        for (var i = 0; i < table.Chunks.Count; i++)
        {
            _chunkStarts[i + 1] = _chunkStarts[i] + table.Chunks[i].Rows;
            var starts = new long[table.Chunks[i].Batches.Count + 1];
            for (var b = 0; b < table.Chunks[i].Batches.Count; b++)
            {
                starts[b + 1] = starts[b] + table.Chunks[i].Batches[b];
            }
            _batchStarts[i] = starts;
        }
        _rows = _chunkStarts[^1];
        _readers = new ChunkReader?[_chunkUrls.Length];
        _cache = new BatchCache(cacheBytes);
    }

    public override long RowCount => _rows;

    public override TableSchema Schema => _schema;

    public override object? GetValue(int column, long row)
    {
        var window = Locate(row);
        return ArrowValues.GetValue(window.Batch.Column(column), (int)(row - window.Start));
    }

    public override object?[] GetRow(long row)
    {
        var window = Locate(row);
        var index = (int)(row - window.Start);
        var values = new object?[_schema.Count];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = ArrowValues.GetValue(window.Batch.Column(c), index);
        }
        return values;
    }

    /// <summary>The cached batch holding <paramref name="row"/> and the row where it starts.</summary>
    public (RecordBatch Batch, long Start) BatchOf(long row)
    {
        var w = Locate(row);
        return (w.Batch, w.Start);
    }

    private Window Locate(long row)
    {
        var last = _last;
        if (row >= last.Start && row < last.End)
        {
            return last;
        }
        CheckRow(row);
        var chunk = UpperBound(_chunkStarts, row);
        var inChunk = row - _chunkStarts[chunk];
        var starts = _batchStarts[chunk];
        var batchIndex = UpperBound(starts, inChunk);
        var key = ((long)chunk << 32) | (uint)batchIndex;
        var batch = _cache.GetOrAdd(key, _ => Reader(chunk).Read(batchIndex));
        var start = _chunkStarts[chunk] + starts[batchIndex];
        var window = new Window(start, start + batch.Length, batch);
        _last = window;
        return window;
    }

    private static int UpperBound(long[] starts, long value)
    {
        var i = System.Array.BinarySearch(starts, value);
        if (i < 0)
        {
            i = ~i - 1;
        }
        // Skip empty entries (equal starts) to the last one starting at or before value.
        while (i + 1 < starts.Length - 1 && starts[i + 1] == value)
        {
            i++;
        }
        return i;
    }

    private ChunkReader Reader(int chunk)
    {
        lock (_readerGate)
        {
            return _readers[chunk] ??= new ChunkReader(_adapters, _chunkUrls[chunk], _schema);
        }
    }

    public override IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken)
    {
        foreach (var url in _chunkUrls)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stream = _adapters.OpenRead(url);
            using var reader = new ArrowFileReader(stream, Storage.Compression.Codecs);
            RecordBatch? batch;
            while ((batch = reader.ReadNextRecordBatch()) is not null)
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return batch;
            }
        }
    }

    public override void Dispose()
    {
        lock (_readerGate)
        {
            foreach (var reader in _readers)
            {
                reader?.Dispose();
            }
            System.Array.Clear(_readers);
        }
        _cache.Clear();
    }

    /// <summary>An open chunk file; reads one record batch at a time by index.</summary>
    private sealed class ChunkReader : IDisposable
    {
        private readonly Stream _stream;
        private readonly ArrowFileReader _reader;
        private readonly Lock _gate = new();

        public ChunkReader(UrlAdapterRegistry adapters, Url url, TableSchema schema)
        {
            _stream = adapters.OpenRead(url);
            _reader = new ArrowFileReader(_stream, allocator: null!, Storage.Compression.Codecs, leaveOpen: false);
            var names = _reader.Schema.FieldsList.Select(f => f.Name).ToArray();
            if (!names.SequenceEqual(schema.Names))
            {
                _reader.Dispose();
                throw new FormatException($"{url}: the chunk's columns ({string.Join(", ", names)}) do not match the table schema ({string.Join(", ", schema.Names)}).");
            }
            Url = url;
        }

        public Url Url { get; }

        public RecordBatch Read(int index)
        {
            lock (_gate)
            {
                return _reader.ReadRecordBatchAsync(index).AsTask().GetAwaiter().GetResult()
                    ?? throw new FormatException($"{Url}: record batch {index} is missing.");
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
}
