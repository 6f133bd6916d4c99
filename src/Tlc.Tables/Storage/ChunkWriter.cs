using System.Globalization;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>
/// Writes record batches into Arrow IPC chunk files <c>chunks/&lt;write-id&gt;-&lt;n&gt;.arrow</c> in a table folder, starting a
/// new file every <see cref="ChunkRows"/> rows. Files are published as they close; <see cref="AbortAsync"/> deletes them.
/// Memory stays at one batch: batches go to the file as they come.
/// </summary>
internal sealed class ChunkWriter : IAsyncDisposable
{
    private readonly UrlAdapterRegistry _adapters;
    private readonly Url _tableUrl;
    private readonly Schema _schema;
    private readonly IpcOptions _ipc;
    private readonly string _writeId;
    private readonly List<ChunkInfo> _chunks = [];
    private readonly List<Url> _written = [];
    private UrlWriteStream? _stream;
    private ArrowFileWriter? _writer;
    private ChunkInfo? _current;

    public ChunkWriter(UrlAdapterRegistry adapters, Url tableUrl, Schema schema, string writeId, long chunkRows, string compression)
    {
        _adapters = adapters;
        _tableUrl = tableUrl;
        _schema = schema;
        _writeId = writeId;
        ChunkRows = chunkRows;
        _ipc = Compression.IpcOptionsFor(compression);
    }

    public long ChunkRows { get; }

    public long Rows { get; private set; }

    public IReadOnlyList<ChunkInfo> Chunks => _chunks;

    public void Write(RecordBatch batch)
    {
        if (batch.Length == 0)
        {
            return;
        }
        if (_writer is null)
        {
            Open();
        }
        _writer!.WriteRecordBatch(batch);
        _current!.Rows += batch.Length;
        _current.Batches.Add(batch.Length);
        Rows += batch.Length;
        if (_current.Rows >= ChunkRows)
        {
            Close();
        }
    }

    /// <summary>Closes the open chunk file and returns every chunk, in order.</summary>
    public IReadOnlyList<ChunkInfo> Complete()
    {
        Close();
        return _chunks;
    }

    private void Open()
    {
        var name = $"chunks/{_writeId}-{_chunks.Count.ToString("D5", CultureInfo.InvariantCulture)}.arrow";
        var url = _tableUrl.Join(name);
        _stream = _adapters.OpenWrite(url, WriteMode.CreateNew);
        _writer = new ArrowFileWriter(_stream, _schema, leaveOpen: true, _ipc);
        _writer.WriteStart();
        _current = new ChunkInfo { Url = name };
        _written.Add(url);
    }

    private void Close()
    {
        if (_writer is null)
        {
            return;
        }
        _writer.WriteEnd();
        _writer.Dispose();
        _current!.Bytes = _stream!.Length;
        _stream.Commit();
        _stream.Dispose();
        _chunks.Add(_current);
        _writer = null;
        _stream = null;
        _current = null;
    }

    /// <summary>Deletes every chunk file this writer made.</summary>
    public async Task AbortAsync(CancellationToken cancellationToken)
    {
        _writer?.Dispose();
        _stream?.Dispose();
        _writer = null;
        _stream = null;
        foreach (var url in _written)
        {
            try
            {
                await _adapters.DeleteAsync(url, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Best effort; 'tlc gc' removes files no object references.
            }
        }
        _written.Clear();
        _chunks.Clear();
    }

    public ValueTask DisposeAsync()
    {
        _writer?.Dispose();
        _stream?.Dispose();
        return ValueTask.CompletedTask;
    }
}
