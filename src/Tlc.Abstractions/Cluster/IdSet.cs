namespace Tlc.Cluster;

/// <summary>
/// A set of example ids in the smallest of three encodings, so that a commit says which rows it holds in a few bytes
/// whatever their order was: ascending runs (contiguous shards: one run), a bitmap over [<see cref="Min"/>, max] (dense
/// scattered ids), or varint gaps (sparse scattered ids, e.g. a training rank's shuffled share). Never one run per row.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed record IdSet
{
    /// <summary>The empty set.</summary>
    public static IdSet Empty { get; } = new() { Count = 0, Min = 0, Max = -1, Runs = [] };

    /// <summary>How many ids.</summary>
    [Id(0)] public long Count { get; init; }

    /// <summary>The smallest id (0 when empty).</summary>
    [Id(1)] public long Min { get; init; }

    /// <summary>The largest id (-1 when empty).</summary>
    [Id(2)] public long Max { get; init; }

    /// <summary>The ids as ascending runs, when that encoding is the smallest.</summary>
    [Id(3)] public IdRun[]? Runs { get; init; }

    /// <summary>The ids as a bitmap over [<see cref="Min"/>, <see cref="Max"/>] (bit i is id Min + i), when that is the smallest.</summary>
    [Id(4)] public byte[]? Bitmap { get; init; }

    /// <summary>The ids after <see cref="Min"/> as LEB128 varint gaps, when that is the smallest.</summary>
    [Id(5)] public byte[]? Gaps { get; init; }

    /// <summary>The bytes of the encoding in use.</summary>
    public long EncodedBytes => Runs is { } r ? r.Length * 16L : Bitmap?.Length ?? Gaps?.Length ?? 0;

    /// <summary>The set of ids covered by ascending, non-overlapping <paramref name="runs"/>.</summary>
    public static IdSet FromRuns(IReadOnlyList<IdRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0)
        {
            return Empty;
        }
        long count = 0;
        for (var i = 0; i < runs.Count; i++)
        {
            if (runs[i].Count <= 0 || runs[i].Start < 0 || (i > 0 && runs[i].Start < runs[i - 1].Start + runs[i - 1].Count))
            {
                throw new ArgumentException($"Id runs must be ascending, positive and apart ({runs[i].Start}+{runs[i].Count}).", nameof(runs));
            }
            count += runs[i].Count;
        }
        return new IdSet { Count = count, Min = runs[0].Start, Max = runs[^1].Start + runs[^1].Count - 1, Runs = [.. runs] };
    }

    /// <summary>
    /// The set of <paramref name="ids"/>, in any order, in its smallest encoding; throws naming the first id that appears
    /// twice.
    /// </summary>
    public static IdSet From(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var sorted = ids.ToArray();
        Array.Sort(sorted);
        return FromSorted(sorted);
    }

    /// <summary>The set of ascending <paramref name="ids"/> in its smallest encoding; throws naming an id that repeats or is negative.</summary>
    public static IdSet FromSorted(ReadOnlySpan<long> ids)
    {
        if (ids.Length == 0)
        {
            return Empty;
        }
        if (ids[0] < 0)
        {
            throw new ArgumentException($"example_id {ids[0]} is negative.", nameof(ids));
        }
        var runCount = 1;
        long gapBytes = 0;
        for (var i = 1; i < ids.Length; i++)
        {
            if (ids[i] <= ids[i - 1])
            {
                throw new InvalidOperationException(ids[i] == ids[i - 1] ? $"example_id {ids[i]} appears twice." : $"example_id {ids[i]} comes after {ids[i - 1]}: ids must ascend.");
            }
            if (ids[i] != ids[i - 1] + 1)
            {
                runCount++;
            }
            gapBytes += VarintLength((ulong)(ids[i] - ids[i - 1]));
        }
        var min = ids[0];
        var max = ids[^1];
        var runBytes = runCount * 16L;
        var bitmapBytes = (max - min) / 8 + 1;
        if (runBytes <= bitmapBytes && runBytes <= gapBytes)
        {
            var runs = new IdRun[runCount];
            long start = ids[0], length = 1;
            var r = 0;
            for (var i = 1; i < ids.Length; i++)
            {
                if (ids[i] == start + length)
                {
                    length++;
                    continue;
                }
                runs[r++] = new IdRun(start, length);
                start = ids[i];
                length = 1;
            }
            runs[r] = new IdRun(start, length);
            return new IdSet { Count = ids.Length, Min = min, Max = max, Runs = runs };
        }
        if (bitmapBytes <= gapBytes)
        {
            var bitmap = new byte[bitmapBytes];
            foreach (var id in ids)
            {
                var bit = id - min;
                bitmap[bit >> 3] |= (byte)(1 << (int)(bit & 7));
            }
            return new IdSet { Count = ids.Length, Min = min, Max = max, Bitmap = bitmap };
        }
        var gaps = new byte[gapBytes];
        var at = 0;
        for (var i = 1; i < ids.Length; i++)
        {
            at += WriteVarint(gaps.AsSpan(at), (ulong)(ids[i] - ids[i - 1]));
        }
        return new IdSet { Count = ids.Length, Min = min, Max = max, Gaps = gaps };
    }

    /// <summary>The ids, ascending.</summary>
    public IEnumerable<long> Ids()
    {
        foreach (var run in ToRuns())
        {
            for (var i = 0L; i < run.Count; i++)
            {
                yield return run.Start + i;
            }
        }
    }

    /// <summary>The ids as ascending runs of consecutive ids, whatever the encoding.</summary>
    public IEnumerable<IdRun> ToRuns()
    {
        if (Runs is { } runs)
        {
            foreach (var run in runs)
            {
                yield return run;
            }
            yield break;
        }
        if (Count == 0)
        {
            yield break;
        }
        long start = Min, length = 1, last = Min;
        foreach (var id in Scattered().Skip(1))
        {
            if (id == last + 1)
            {
                length++;
            }
            else
            {
                yield return new IdRun(start, length);
                start = id;
                length = 1;
            }
            last = id;
        }
        yield return new IdRun(start, length);
    }

    /// <summary>The order-independent digest of the ids (<see cref="ExampleIds.Digest(IEnumerable{long})"/>).</summary>
    public string Digest() => ExampleIds.Digest(Ids());

    /// <summary>
    /// Checks that the encoding agrees with <see cref="Count"/>, <see cref="Min"/> and <see cref="Max"/> (a commit from any
    /// process is checked before it is trusted); returns the problem, or null.
    /// </summary>
    public string? Problem()
    {
        if (Count == 0)
        {
            return null;
        }
        if (Min < 0 || Max < Min)
        {
            return $"invalid id range {Min}..{Max}";
        }
        if (new[] { Runs is not null, Bitmap is not null, Gaps is not null }.Count(b => b) != 1)
        {
            return "an id set needs exactly one encoding";
        }
        if (Bitmap is { } bitmap && bitmap.LongLength != (Max - Min) / 8 + 1)
        {
            return $"the bitmap has {bitmap.Length} bytes for ids {Min}..{Max}";
        }
        long count = 0;
        long previousEnd = long.MinValue;
        long last = -1;
        try
        {
            foreach (var run in ToRuns())
            {
                if (run.Count <= 0 || run.Start < previousEnd)
                {
                    return $"example_id {run.Start} appears twice (runs overlap or go back)";
                }
                previousEnd = run.Start + run.Count;
                last = previousEnd - 1;
                count += run.Count;
            }
        }
        catch (FormatException e)
        {
            return e.Message;
        }
        return count != Count ? $"the ids number {count}, not {Count}" : last != Max ? $"the largest id is {last}, not {Max}" : null;
    }

    private IEnumerable<long> Scattered()
    {
        if (Bitmap is { } bitmap)
        {
            for (long i = 0; i < bitmap.LongLength * 8; i++)
            {
                if ((bitmap[i >> 3] & (1 << (int)(i & 7))) != 0)
                {
                    yield return Min + i;
                }
            }
            yield break;
        }
        var gaps = Gaps ?? [];
        var id = Min;
        yield return id;
        var at = 0;
        while (at < gaps.Length)
        {
            ulong gap = 0;
            var shift = 0;
            while (true)
            {
                if (at >= gaps.Length || shift > 63)
                {
                    throw new FormatException("the id gaps end inside a varint");
                }
                var b = gaps[at++];
                gap |= (ulong)(b & 0x7f) << shift;
                shift += 7;
                if ((b & 0x80) == 0)
                {
                    break;
                }
            }
            if (gap == 0)
            {
                throw new FormatException("an id gap of 0 (an id twice)");
            }
            id += (long)gap;
            yield return id;
        }
    }

    private static int VarintLength(ulong value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }
        return length;
    }

    private static int WriteVarint(Span<byte> target, ulong value)
    {
        var at = 0;
        while (value >= 0x80)
        {
            target[at++] = (byte)(value | 0x80);
            value >>= 7;
        }
        target[at++] = (byte)value;
        return at;
    }

    /// <inheritdoc />
    public bool Equals(IdSet? other) => other is not null && Count == other.Count && Min == other.Min && Max == other.Max && ToRuns().SequenceEqual(other.ToRuns());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Count, Min, Max);
}
