using Orleans.Storage;

namespace Tlc.Grains.Jobs;

/// <summary>
/// A segment's durable state as a journal over any Orleans grain storage: a plan record written once, a snapshot, and
/// numbered deltas in a ring of <see cref="Slots"/> records. A write is one small delta (the items that changed), never the
/// whole segment; a snapshot is written when the deltas since the last one hold twice as many items as it does (an item
/// is usually in two deltas: its lease and its commit), or when the ring is full, so each item change is serialised about
/// 1.5 times and activation reads at most one snapshot and <see cref="Slots"/> deltas. Records are kept in memory only as
/// their numbers and ETags, never their items.
/// Every record is written with its ETag (a new record only if absent), so of two activations writing the same segment the
/// second fails with <see cref="InconsistentStateException"/> and is deactivated: the first writer wins.
/// </summary>
internal sealed class SegmentStore(IGrainStorage storage, GrainId grain, int slots = SegmentStore.DefaultSlots)
{
    /// <summary>
    /// The default ring size: 256 deltas. Group commits of busy segments hold many items; those of a segment whose items
    /// finish one by one hold few, and a ring this size keeps their snapshots rare (bytes written per item change stay
    /// about twice the change), at the cost of one read per slot when the segment activates.
    /// </summary>
    public const int DefaultSlots = 256;

    private const string PlanName = "segment-plan";
    private const string SnapshotName = "segment";

    private readonly GrainState<SegmentPlanRecord> _plan = new(new SegmentPlanRecord());
    private readonly GrainState<SegmentSnapshot> _snapshot = new(new SegmentSnapshot());
    private readonly GrainState<SegmentDelta>[] _slots = [.. Enumerable.Range(0, slots).Select(_ => new GrainState<SegmentDelta>(new SegmentDelta()))];
    private long _itemsSinceSnapshot;

    /// <summary>The ring size.</summary>
    public int Slots => slots;

    /// <summary>The number of the last delta written (or read back).</summary>
    public long LastDelta { get; private set; }

    /// <summary>Deltas written since the last snapshot.</summary>
    public long DeltasSinceSnapshot => LastDelta - _snapshot.State!.Through;

    /// <summary>The plan record, or null when the segment was never created.</summary>
    public SegmentPlanRecord? Plan => _plan.RecordExists ? _plan.State : null;

    /// <summary>Reads the plan, the snapshot and the deltas after it, in order.</summary>
    public async Task<(SegmentSnapshot Snapshot, List<SegmentDelta> Deltas)> ReadAsync()
    {
        await storage.ReadStateAsync(PlanName, grain, _plan).ConfigureAwait(false);
        if (!_plan.RecordExists)
        {
            // Never created: nothing else was written.
            return (_snapshot.State!, []);
        }
        await storage.ReadStateAsync(SnapshotName, grain, _snapshot).ConfigureAwait(false);
        await Task.WhenAll(_slots.Select(s => storage.ReadStateAsync(SlotName(Array.IndexOf(_slots, s)), grain, s))).ConfigureAwait(false);
        var deltas = new List<SegmentDelta>();
        var next = _snapshot.State!.Through + 1;
        while (true)
        {
            var slot = _slots[next % slots];
            if (!slot.RecordExists || slot.State!.Number != next)
            {
                break;
            }
            deltas.Add(slot.State!);
            next++;
        }
        // The caller replays what was read; only the numbers and ETags stay here.
        foreach (var slot in _slots)
        {
            if (slot.State is { Items.Length: > 0 } read)
            {
                slot.State = Slim(read);
            }
        }
        var snapshot = _snapshot.State!;
        _snapshot.State = new SegmentSnapshot { Through = snapshot.Through, Cancelled = snapshot.Cancelled };
        LastDelta = next - 1;
        _itemsSinceSnapshot = deltas.Sum(d => (long)d.Items.Length);
        return (snapshot, deltas);
    }

    /// <summary>Writes the plan record (once, when the segment is created).</summary>
    public async Task WritePlanAsync(SegmentPlanRecord plan)
    {
        _plan.State = plan;
        await storage.WriteStateAsync(PlanName, grain, _plan).ConfigureAwait(false);
    }

    /// <summary>True when the next write should be a snapshot of <paramref name="items"/> items (the deltas hold twice as many, or the ring is full).</summary>
    public bool SnapshotDue(int items) => DeltasSinceSnapshot >= slots - 1 || _itemsSinceSnapshot >= 2L * Math.Max(8, items);

    /// <summary>Appends the next delta (its number is set here).</summary>
    public async Task WriteDeltaAsync(SegmentDelta delta)
    {
        delta.Number = LastDelta + 1;
        var slot = _slots[delta.Number % slots];
        var previous = slot.State;
        slot.State = delta;
        try
        {
            await storage.WriteStateAsync(SlotName((int)(delta.Number % slots)), grain, slot).ConfigureAwait(false);
        }
        catch
        {
            slot.State = previous;
            throw;
        }
        slot.State = Slim(delta);
        LastDelta = delta.Number;
        _itemsSinceSnapshot += delta.Items.Length;
    }

    /// <summary>Writes a snapshot including every delta written so far.</summary>
    public async Task WriteSnapshotAsync(SegmentItem[] items, bool cancelled)
    {
        var snapshot = new SegmentSnapshot { Through = LastDelta, Items = items, Cancelled = cancelled };
        var previous = _snapshot.State;
        _snapshot.State = snapshot;
        try
        {
            await storage.WriteStateAsync(SnapshotName, grain, _snapshot).ConfigureAwait(false);
        }
        catch
        {
            _snapshot.State = previous;
            throw;
        }
        _snapshot.State = new SegmentSnapshot { Through = snapshot.Through, Cancelled = cancelled };
        _itemsSinceSnapshot = 0;
    }

    private static string SlotName(int slot) => $"segment-d{slot}";

    /// <summary>What is kept of a written or read delta: its number (the items live in the segment's table).</summary>
    private static SegmentDelta Slim(SegmentDelta delta) => new() { Number = delta.Number, Count = delta.Count, Cancelled = delta.Cancelled };
}
