using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Storage;

/// <summary>
/// Writes one Arrow IPC chunk file outside a <see cref="TableWriter"/>: the result chunk of a metrics part, or of an
/// import chunk, published atomically at a URL unique to its producer (so retries never collide), for a sink to
/// reference later.
/// </summary>
public static class ChunkFiles
{
    /// <summary>Writes <paramref name="batches"/> (all of <paramref name="schema"/>) to <paramref name="url"/> and returns what the object file needs.</summary>
    public static async Task<ChunkInfo> WriteAsync(UrlAdapterRegistry adapters, Url url, Apache.Arrow.Schema schema, IAsyncEnumerable<RecordBatch> batches,
        string compression = "none", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(batches);
        var info = new ChunkInfo { Url = url.Name };
        await using var stream = adapters.OpenWrite(url, WriteMode.CreateNew);
        using (var writer = new ArrowFileWriter(stream, schema, leaveOpen: true, Compression.IpcOptionsFor(compression)))
        {
            await writer.WriteStartAsync(cancellationToken).ConfigureAwait(false);
            await foreach (var batch in batches.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (batch.Length == 0)
                {
                    continue;
                }
                await writer.WriteRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                info.Rows += batch.Length;
                info.Batches.Add(batch.Length);
            }
            await writer.WriteEndAsync(cancellationToken).ConfigureAwait(false);
        }
        info.Bytes = stream.Length;
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return info;
    }
}
