using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>
/// A segment's items in memory with the indexes that keep every call O(log n): the pending items, the leased items by
/// deadline (expired ones handed out again before pending ones), the counts the segment reports, and the positions changed
/// since the last write. Every change goes through <see cref="Change"/>, which takes the item out of the indexes and
/// counts, lets the caller change it, and puts it back.
/// </summary>
internal sealed class SegmentTable
{
    private readonly List<SegmentItem> _items = [];
    private readonly SortedSet<int> _pending = [];
    private readonly SortedSet<(DateTimeOffset Deadline, int Position)> _leased = [];
    private readonly HashSet<int> _changed = [];
    private readonly Func<int, long> _sourceBytes;

    /// <summary>Creates an empty table; <paramref name="sourceBytes"/> gives an item's source bytes by position (its plan's).</summary>
    public SegmentTable(Func<int, long> sourceBytes) => _sourceBytes = sourceBytes;

    /// <summary>Items.</summary>
    public int Count => _items.Count;

    /// <summary>Item at <paramref name="position"/> (do not change it but through <see cref="Change"/>).</summary>
    public SegmentItem this[int position] => _items[position];

    /// <summary>Items pending.</summary>
    public int Pending => _pending.Count;

    /// <summary>Items leased or owned.</summary>
    public int Leased { get; private set; }

    /// <summary>Items committed.</summary>
    public int Committed { get; private set; }

    /// <summary>Items failed.</summary>
    public int Failed { get; private set; }

    /// <summary>Committed items whose result reports a problem.</summary>
    public int Problems { get; private set; }

    /// <summary>Rows of committed items.</summary>
    public long Rows { get; private set; }

    /// <summary>Source bytes of committed items.</summary>
    public long Bytes { get; private set; }

    /// <summary>Lease expirations over all items.</summary>
    public int Expirations { get; private set; }

    /// <summary>Attempts beyond each item's first.</summary>
    public int Retries { get; private set; }

    /// <summary>The earliest deadline of a leased item (<see cref="DateTimeOffset.MaxValue"/> when none).</summary>
    public DateTimeOffset EarliestDeadline => _leased.Count > 0 ? _leased.Min.Deadline : DateTimeOffset.MaxValue;

    /// <summary>Positions changed since <see cref="TakeChanged"/> was last called.</summary>
    public int ChangedCount => _changed.Count;

    /// <summary>Loads stored items (a snapshot); nothing counts as changed.</summary>
    public void Load(IEnumerable<SegmentItem> items)
    {
        foreach (var item in items)
        {
            _items.Add(item);
            Index(_items.Count - 1, +1);
        }
    }

    /// <summary>Replays a delta: its items replace the stored ones (new positions are appended).</summary>
    public void Replay(SegmentDelta delta)
    {
        while (_items.Count < delta.Count)
        {
            _items.Add(new SegmentItem());
            Index(_items.Count - 1, +1);
        }
        for (var i = 0; i < delta.Positions.Length; i++)
        {
            var position = delta.Positions[i];
            Index(position, -1);
            _items[position] = delta.Items[i];
            Index(position, +1);
        }
    }

    /// <summary>Appends <paramref name="count"/> new pending items (marked changed).</summary>
    public void Add(int count)
    {
        for (var i = 0; i < count; i++)
        {
            _items.Add(new SegmentItem());
            Index(_items.Count - 1, +1);
            _changed.Add(_items.Count - 1);
        }
    }

    /// <summary>Changes the item at <paramref name="position"/> with <paramref name="change"/>, keeping indexes and counts right; returns its result.</summary>
    public T Change<T>(int position, Func<SegmentItem, T> change)
    {
        Index(position, -1);
        try
        {
            return change(_items[position]);
        }
        finally
        {
            Index(position, +1);
            _changed.Add(position);
        }
    }

    /// <summary>
    /// Up to <paramref name="max"/> positions to lease: ones whose lease ran out by <paramref name="now"/> first (a dead
    /// worker's items go out again before fresh ones), then pending ones.
    /// </summary>
    public List<int> Candidates(int max, DateTimeOffset now)
    {
        var picked = new List<int>(Math.Min(max, _pending.Count + 4));
        foreach (var (deadline, position) in _leased)
        {
            if (picked.Count >= max || deadline > now)
            {
                break;
            }
            picked.Add(position);
        }
        foreach (var position in _pending)
        {
            if (picked.Count >= max)
            {
                break;
            }
            picked.Add(position);
        }
        return picked;
    }

    /// <summary>The changed positions (and forgets them).</summary>
    public int[] TakeChanged()
    {
        var changed = _changed.Order().ToArray();
        _changed.Clear();
        return changed;
    }

    /// <summary>Marks positions changed again (a write that failed).</summary>
    public void Remark(IEnumerable<int> positions) => _changed.UnionWith(positions);

    /// <summary>Every item as a copy (for a snapshot or a read).</summary>
    public SegmentItem[] CopyAll() => [.. _items.Select(i => i.Copy())];

    private void Index(int position, int sign)
    {
        var item = _items[position];
        var lease = item.Lease;
        switch (lease.Status)
        {
            case WorkStatus.Pending:
                if (sign > 0)
                {
                    _pending.Add(position);
                }
                else
                {
                    _pending.Remove(position);
                }
                break;
            case WorkStatus.Leased:
                if (sign > 0)
                {
                    _leased.Add((lease.Deadline, position));
                }
                else
                {
                    _leased.Remove((lease.Deadline, position));
                }
                Leased += sign;
                break;
            case WorkStatus.Owned:
                Leased += sign;
                break;
            case WorkStatus.Committed:
                Committed += sign;
                Rows += sign * (item.Commit?.Rows ?? 0);
                Bytes += sign * _sourceBytes(position);
                if (item.Commit?.Error is not null)
                {
                    Problems += sign;
                }
                break;
            case WorkStatus.Failed:
                Failed += sign;
                break;
        }
        Expirations += sign * lease.Expirations;
        Retries += sign * Math.Max(0, lease.Attempt - 1);
    }
}
