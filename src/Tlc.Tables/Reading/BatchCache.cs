using Apache.Arrow;

namespace Tlc.Tables.Reading;

/// <summary>A thread-safe least-recently-used cache of record batches, bounded by bytes.</summary>
internal sealed class BatchCache(long capacityBytes)
{
    private readonly Dictionary<long, LinkedListNode<(long Key, RecordBatch Batch, long Bytes)>> _entries = [];
    private readonly LinkedList<(long Key, RecordBatch Batch, long Bytes)> _order = new();
    private readonly Lock _gate = new();
    private long _bytes;

    public RecordBatch GetOrAdd(long key, Func<long, RecordBatch> load)
    {
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                return node.Value.Batch;
            }
        }
        var batch = load(key);
        var bytes = SizeOf(batch);
        lock (_gate)
        {
            if (_entries.TryGetValue(key, out var raced))
            {
                return raced.Value.Batch;
            }
            _entries[key] = _order.AddFirst((key, batch, bytes));
            _bytes += bytes;
            while (_bytes > capacityBytes && _order.Count > 1)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _entries.Remove(last.Value.Key);
                _bytes -= last.Value.Bytes;
            }
        }
        return batch;
    }

    public void Clear()
    {
        lock (_gate)
        {
            _entries.Clear();
            _order.Clear();
            _bytes = 0;
        }
    }

    private static long SizeOf(RecordBatch batch)
    {
        long total = 0;
        foreach (var column in batch.Arrays)
        {
            total += SizeOf(column.Data);
        }
        return total;
    }

    private static long SizeOf(ArrayData data)
    {
        long total = 0;
        foreach (var buffer in data.Buffers)
        {
            total += buffer.Length;
        }
        foreach (var child in data.Children ?? [])
        {
            total += SizeOf(child);
        }
        return total;
    }
}
