using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Grains;

/// <summary>
/// A job grain's view of its leased items (a metrics job's parts, an import job's chunks): each item's status, lease
/// deadline, committed rows and result error, the pending set, and the lease expirations and retries seen. The items'
/// own grains hold the truth; the view is rebuilt from them on activation and kept current by their change reports and
/// by the leases the job hands out.
/// </summary>
/// <param name="kind">The job kind for the <see cref="TlcMetrics"/> tags (<see cref="TlcMetrics.Metrics"/> or <see cref="TlcMetrics.Imports"/>).</param>
internal sealed class LeasedItemsView(string kind)
{
    private WorkStatus[] _status = [];
    private DateTimeOffset[] _deadlines = [];
    private long[] _rows = [];
    private string?[] _errors = [];
    private readonly SortedSet<int> _pending = [];

    /// <summary>The number of items.</summary>
    public int Count => _status.Length;

    /// <summary>Items committed.</summary>
    public int Committed { get; private set; }

    /// <summary>Items failed (their attempts ran out).</summary>
    public int Failed { get; private set; }

    /// <summary>Leases that ran out and were handed to another worker.</summary>
    public int Expirations { get; private set; }

    /// <summary>Leases granted beyond each item's first.</summary>
    public int Retries { get; private set; }

    /// <summary>True when there are items and every one is committed.</summary>
    public bool AllCommitted => _status.Length > 0 && Committed == _status.Length;

    /// <summary>Rows of the committed items.</summary>
    public long CommittedRows => _rows.Sum();

    /// <summary>Item <paramref name="index"/>'s status.</summary>
    public WorkStatus this[int index] => _status[index];

    /// <summary>Item <paramref name="index"/>'s lease deadline (while leased).</summary>
    public DateTimeOffset DeadlineOf(int index) => _deadlines[index];

    /// <summary>The error a committed item's result reported (e.g. an import chunk's first bad row), if any.</summary>
    public string? ErrorOf(int index) => _errors[index];

    /// <summary>How many items are in <paramref name="status"/>.</summary>
    public int CountOf(WorkStatus status) => _status.Count(s => s == status);

    /// <summary>The items in <paramref name="status"/>, in order.</summary>
    public IEnumerable<int> IndexesOf(WorkStatus status) => Enumerable.Range(0, _status.Length).Where(i => _status[i] == status);

    /// <summary>A new job's view: <paramref name="count"/> pending items.</summary>
    public void Reset(int count)
    {
        _status = new WorkStatus[count];
        _deadlines = new DateTimeOffset[count];
        _rows = new long[count];
        _errors = new string?[count];
        _pending.Clear();
        _pending.UnionWith(Enumerable.Range(0, count));
        (Committed, Failed, Expirations, Retries) = (0, 0, 0, 0);
    }

    /// <summary>The view of the items' own states (in item order), with each one's committed rows and result error.</summary>
    public void Rebuild(IReadOnlyList<(LeaseState Lease, long Rows, string? Error)> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        _status = items.Select(i => i.Lease.Status).ToArray();
        _deadlines = items.Select(i => i.Lease.Deadline).ToArray();
        _rows = items.Select(i => i.Rows).ToArray();
        _errors = items.Select(i => i.Error).ToArray();
        _pending.Clear();
        _pending.UnionWith(IndexesOf(WorkStatus.Pending));
        Committed = CountOf(WorkStatus.Committed);
        Failed = CountOf(WorkStatus.Failed);
        Expirations = items.Sum(i => i.Lease.Expirations);
        Retries = items.Sum(i => Math.Max(0, i.Lease.Attempt - 1));
    }

    /// <summary>Records that item <paramref name="index"/> is now in <paramref name="status"/> (rows and error count only when committed).</summary>
    public void Apply(int index, WorkStatus status, DateTimeOffset deadline, long rows, string? error = null)
    {
        Tally(_status[index], -1);
        Tally(status, +1);
        if (status == WorkStatus.Pending)
        {
            _pending.Add(index);
        }
        else
        {
            _pending.Remove(index);
        }
        _status[index] = status;
        _deadlines[index] = deadline;
        _rows[index] = status == WorkStatus.Committed ? rows : 0;
        _errors[index] = status == WorkStatus.Committed ? error : null;
    }

    /// <summary>
    /// Leases up to <paramref name="max"/> items: pending ones first, then leased ones whose lease ran out (reclaimed now, as
    /// workers ask; timers die with activations). Each is tried on its own grain (<paramref name="tryLease"/>), all at once;
    /// an item whose grain refuses (its state disagreed with the view, or it failed on expiry) is read again
    /// (<paramref name="read"/>) and the view follows it.
    /// </summary>
    public async Task<List<LeaseGrant>> LeaseAsync(int max, DateTimeOffset now, Func<int, Task<LeaseGrant?>> tryLease,
        Func<int, Task<(LeaseState Lease, long Rows, string? Error)>> read)
    {
        ArgumentNullException.ThrowIfNull(tryLease);
        ArgumentNullException.ThrowIfNull(read);
        var candidates = _pending.Take(max).ToList();
        if (candidates.Count < max)
        {
            candidates.AddRange(Enumerable.Range(0, _status.Length).Where(i => _status[i] == WorkStatus.Leased && _deadlines[i] <= now).Take(max - candidates.Count));
        }
        foreach (var index in candidates)
        {
            _pending.Remove(index);
        }
        var results = await Task.WhenAll(candidates.Select(async index =>
        {
            var grant = await tryLease(index);
            var refused = grant is null ? await read(index) : default;
            return (Index: index, WasLeased: _status[index] == WorkStatus.Leased, Grant: grant, Refused: refused);
        }));
        var grants = new List<LeaseGrant>();
        foreach (var (index, wasLeased, grant, refused) in results)
        {
            if (grant is null)
            {
                Apply(index, refused.Lease.Status, refused.Lease.Deadline, refused.Rows, refused.Error);
                continue;
            }
            if (wasLeased)
            {
                Expirations++;
                TlcMetrics.LeaseExpired(kind);
            }
            if (grant.Attempt > 1)
            {
                Retries++;
                TlcMetrics.Retried(kind);
            }
            Apply(index, WorkStatus.Leased, grant.Deadline, 0);
            grants.Add(grant);
        }
        return grants;
    }

    private void Tally(WorkStatus status, int delta)
    {
        if (status == WorkStatus.Failed)
        {
            Failed += delta;
        }
        else if (status == WorkStatus.Committed)
        {
            Committed += delta;
        }
    }
}
