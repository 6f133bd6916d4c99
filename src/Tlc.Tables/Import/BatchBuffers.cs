using System.Buffers;

namespace Tlc.Tables.Import;

/// <summary>
/// The memory of one parsed record batch: value buffers and line numbers rented from pools, handed back once the batch
/// is written (<see cref="Release"/>). A CSV import parses thousands of record batches of one shape; renting their buffers
/// instead of allocating them keeps large-object garbage, and the full collections it sets off on every core, out of the
/// parse loop. A batch that is never released (an import that failed) is simply collected.
/// </summary>
internal sealed class BatchBuffers
{
    /// <summary>
    /// The pool of value buffers: arrays up to 256 MiB, a bounded number per size, shared by every import of the process
    /// (a cache, like <see cref="ArrayPool{T}.Shared"/>, which keeps no arrays above 1 MiB on every runtime).
    /// </summary>
    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(maxArrayLength: 1 << 28, maxArraysPerBucket: 64);

    private List<byte[]>? _rented = [];
    private long[]? _lines;

    /// <summary>A buffer of at least <paramref name="bytes"/> bytes (its contents are not cleared).</summary>
    public static byte[] Rent(int bytes) => Pool.Rent(bytes);

    /// <summary>Hands back a buffer from <see cref="Rent"/> that no batch took.</summary>
    public static void Return(byte[] buffer) => Pool.Return(buffer);

    /// <summary>An array of at least <paramref name="count"/> line numbers, for <see cref="Lines"/>.</summary>
    public static long[] RentLines(int count) => ArrayPool<long>.Shared.Rent(count);

    /// <summary>Hands back line numbers from <see cref="RentLines"/> that no batch took.</summary>
    public static void ReturnLines(long[] lines) => ArrayPool<long>.Shared.Return(lines);

    /// <summary>The file line of each row of the batch (longer than the batch).</summary>
    public long[] Lines => _lines ?? throw new ObjectDisposedException(nameof(BatchBuffers));

    /// <summary>Takes <paramref name="lines"/> (from <see cref="RentLines"/>) as the batch's line numbers.</summary>
    public void TakeLines(long[] lines) => _lines = lines;

    /// <summary>Takes a buffer from <see cref="Rent"/> that an array of the batch is built on.</summary>
    public void Take(byte[] buffer) => (_rented ?? throw new ObjectDisposedException(nameof(BatchBuffers))).Add(buffer);

    /// <summary>Hands every buffer back; the batch's arrays must not be read afterwards. Safe to call twice.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } rented)
        {
            foreach (var buffer in rented)
            {
                Pool.Return(buffer);
            }
        }
        if (Interlocked.Exchange(ref _lines, null) is { } lines)
        {
            ReturnLines(lines);
        }
    }
}
