namespace Tlc.Api;

/// <summary>
/// The ordered rows of the last few queries the grid pages through (a table revision, its join or comparison, filters and
/// sort): scrolling a sorted 10^6-row view asks for many pages of one query, and each would otherwise filter and sort every
/// row again. Keeps <see cref="Capacity"/> queries, the least recently used dropped first; a new revision of a table is a
/// new key.
/// </summary>
internal sealed class RowOrderCache
{
    /// <summary>How many queries are kept: 8 (a 10^6-row query holds 8 MB of row numbers).</summary>
    public const int Capacity = 8;

    private readonly LinkedList<(string Key, IReadOnlyList<long> Rows)> _entries = new();
    private readonly Lock _gate = new();

    /// <summary>The rows of <paramref name="key"/>, computed by <paramref name="order"/> when not kept.</summary>
    public IReadOnlyList<long> GetOrAdd(string key, Func<IReadOnlyList<long>> order)
    {
        lock (_gate)
        {
            for (var node = _entries.First; node is not null; node = node.Next)
            {
                if (node.Value.Key == key)
                {
                    _entries.Remove(node);
                    _entries.AddFirst(node);
                    return node.Value.Rows;
                }
            }
        }
        var rows = order();
        lock (_gate)
        {
            _entries.AddFirst((key, rows));
            while (_entries.Count > Capacity)
            {
                _entries.RemoveLast();
            }
        }
        return rows;
    }
}
