using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>
/// A job grain's view of its segments, built from their reports: per segment its latest summary (by version), the
/// segments with pending items and the segments by earliest lease deadline, and the totals over all. Routing a lease
/// request picks segments in O(log n) each — pending work first, then expired leases — and reserves what it routes, so
/// concurrent requests go to different segments. A segment never heard of counts as all pending (its plans are implied).
/// </summary>
internal sealed class SegmentRouter
{
    private SegmentSummary?[] _summaries = [];
    private int[] _sizes = [];
    private int[] _reserved = [];
    private readonly SortedSet<int> _withWork = [];
    private readonly SortedSet<(DateTimeOffset Deadline, int Segment)> _deadlines = [];
    private readonly HashSet<int> _eventfulSealed = [];

    /// <summary>Segments.</summary>
    public int Segments => _summaries.Length;

    /// <summary>Items in all.</summary>
    public int Items { get; private set; }

    /// <summary>Items committed.</summary>
    public int Committed { get; private set; }

    /// <summary>Items leased or owned.</summary>
    public int Leased { get; private set; }

    /// <summary>Items failed.</summary>
    public int Failed { get; private set; }

    /// <summary>Committed items reporting a problem.</summary>
    public int Problems { get; private set; }

    /// <summary>Rows of committed items.</summary>
    public long Rows { get; private set; }

    /// <summary>Source bytes of committed items.</summary>
    public long Bytes { get; private set; }

    /// <summary>Lease expirations.</summary>
    public int Expirations { get; private set; }

    /// <summary>Attempts beyond the first.</summary>
    public int Retries { get; private set; }

    /// <summary>True when there are items and every one is committed.</summary>
    public bool AllCommitted => Items > 0 && Committed == Items;

    /// <summary>True when segment <paramref name="segment"/> reported that it holds its items.</summary>
    public bool IsInitialised(int segment) => _summaries[segment]?.Initialised == true;

    /// <summary>A view of <paramref name="segments"/> segments; <paramref name="sizeOf"/> gives each one's item count (before it reports).</summary>
    public void Reset(int segments, Func<int, int> sizeOf)
    {
        ArgumentNullException.ThrowIfNull(sizeOf);
        _summaries = new SegmentSummary?[segments];
        _sizes = new int[segments];
        _reserved = new int[segments];
        _withWork.Clear();
        _deadlines.Clear();
        _eventfulSealed.Clear();
        (Items, Committed, Leased, Failed, Problems, Rows, Bytes, Expirations, Retries) = (0, 0, 0, 0, 0, 0, 0, 0, 0);
        for (var s = 0; s < segments; s++)
        {
            _sizes[s] = sizeOf(s);
            Count(s, +1);
        }
    }

    /// <summary>
    /// Counts sealed segments without reading them (on activation, after <see cref="Reset"/>): each is all committed, and
    /// <paramref name="totals"/> holds their summed counts; <paramref name="eventful"/> says which had a history (expired
    /// leases, retries), so <see cref="EventfulSegments"/> still lists them. A later report of a sealed segment is ignored.
    /// </summary>
    public void RestoreSealed(IEnumerable<int> sealedSegments, JobTotals totals, Func<int, bool> eventful)
    {
        ArgumentNullException.ThrowIfNull(eventful);
        ArgumentNullException.ThrowIfNull(sealedSegments);
        ArgumentNullException.ThrowIfNull(totals);
        foreach (var s in sealedSegments)
        {
            Count(s, -1);
            _summaries[s] = new SegmentSummary
            {
                Segment = s, Version = long.MaxValue, Items = _sizes[s], Committed = _sizes[s], Initialised = true, EarliestDeadline = DateTimeOffset.MaxValue,
            };
            Count(s, +1);
            if (eventful(s))
            {
                _eventfulSealed.Add(s);
            }
        }
        Rows += totals.Rows;
        Bytes += totals.Bytes;
        Expirations += (int)totals.Expirations;
        Retries += (int)totals.Retries;
        Problems += (int)totals.Problems;
    }

    /// <summary>Grows the view to <paramref name="segments"/> segments (items added by writers); new ones hold <paramref name="sizeOf"/> items.</summary>
    public void Grow(int segments, Func<int, int> sizeOf)
    {
        ArgumentNullException.ThrowIfNull(sizeOf);
        if (segments <= _summaries.Length)
        {
            return;
        }
        var old = _summaries.Length;
        Array.Resize(ref _summaries, segments);
        Array.Resize(ref _sizes, segments);
        Array.Resize(ref _reserved, segments);
        for (var s = old; s < segments; s++)
        {
            _sizes[s] = sizeOf(s);
            Count(s, +1);
        }
    }

    /// <summary>Takes a segment's report unless a later one was taken already (a segment that does not exist yet says nothing).</summary>
    public void Apply(SegmentSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var s = summary.Segment;
        if (!summary.Initialised || s < 0 || s >= _summaries.Length || (_summaries[s] is { } known && known.Version >= summary.Version))
        {
            return;
        }
        Count(s, -1);
        _summaries[s] = summary;
        Count(s, +1);
    }

    /// <summary>
    /// Routes a request for <paramref name="max"/> leases: segments whose earliest lease ran out by <paramref name="now"/>
    /// first (earliest first, each for at most its leased items), then segments with pending items (lowest first). Expired
    /// leases go first so that a dead worker's items are leased again within about a lease whatever fresh work is left.
    /// Each routed count is reserved until <see cref="Release"/>.
    /// </summary>
    public List<(int Segment, int Count)> Route(int max, DateTimeOffset now)
    {
        var routes = new List<(int, int)>();
        var left = max;
        foreach (var (deadline, s) in _deadlines)
        {
            if (left <= 0 || deadline > now)
            {
                break;
            }
            // At most as many as it holds leased (some may still be alive: the segment grants what ran out), less what
            // other requests in flight were routed there already.
            var summary = _summaries[s];
            var leased = summary?.Leased ?? 0;
            var take = Math.Min(left, Math.Min(leased, leased + (summary?.Pending ?? _sizes[s]) - _reserved[s]));
            if (take <= 0)
            {
                continue;
            }
            routes.Add((s, take));
            left -= take;
        }
        var expired = routes.Count;
        foreach (var s in _withWork)
        {
            if (left <= 0)
            {
                break;
            }
            if (expired > 0 && routes.Take(expired).Any(r => r.Item1 == s))
            {
                continue;
            }
            var take = Math.Min(left, Pending(s));
            if (take > 0)
            {
                routes.Add((s, take));
                left -= take;
            }
        }
        foreach (var (s, count) in routes)
        {
            Count(s, -1);
            _reserved[s] += count;
            Count(s, +1);
        }
        return routes;
    }

    /// <summary>Ends a reservation made by <see cref="Route"/>.</summary>
    public void Release(int segment, int count)
    {
        Count(segment, -1);
        _reserved[segment] = Math.Max(0, _reserved[segment] - count);
        Count(segment, +1);
    }

    /// <summary>The earliest lease deadline of any segment (<see cref="DateTimeOffset.MaxValue"/> when nothing is leased).</summary>
    public DateTimeOffset EarliestDeadline => _deadlines.Count > 0 ? _deadlines.Min.Deadline : DateTimeOffset.MaxValue;

    /// <summary>The segments whose items have a history beyond one clean attempt: failed items, expired leases or retries.</summary>
    public IEnumerable<int> EventfulSegments() =>
        Enumerable.Range(0, _summaries.Length).Where(s => _eventfulSealed.Contains(s) || _summaries[s] is { } x && (x.Failed > 0 || x.Expirations > 0 || x.Retries > 0));

    /// <summary>The segments that reported failed items.</summary>
    public IEnumerable<int> FailedSegments() => Enumerable.Range(0, _summaries.Length).Where(s => _summaries[s]?.Failed > 0);

    private int Pending(int s) => Math.Max(0, (_summaries[s]?.Pending ?? _sizes[s]) - _reserved[s]);

    private void Count(int s, int sign)
    {
        var summary = _summaries[s];
        if (sign > 0)
        {
            if (Pending(s) > 0)
            {
                _withWork.Add(s);
            }
            if (summary is { Leased: > 0 } && summary.EarliestDeadline != DateTimeOffset.MaxValue)
            {
                _deadlines.Add((summary.EarliestDeadline, s));
            }
        }
        else
        {
            _withWork.Remove(s);
            if (summary is not null)
            {
                _deadlines.Remove((summary.EarliestDeadline, s));
            }
        }
        Items += sign * (summary?.Items ?? _sizes[s]);
        if (summary is null)
        {
            return;
        }
        Committed += sign * summary.Committed;
        Leased += sign * summary.Leased;
        Failed += sign * summary.Failed;
        Problems += sign * summary.Problems;
        Rows += sign * summary.RowsCommitted;
        Bytes += sign * summary.BytesCommitted;
        Expirations += sign * summary.Expirations;
        Retries += sign * summary.Retries;
    }
}
