namespace Tlc.Tables.Revisions;

/// <summary>
/// An ascending set of row indices stored as runs (start, count), with O(log runs) mapping between a position in the
/// set and the row index it holds. The row map of a derived table: position i of the derived table is parent row
/// <c>this[i]</c>.
/// </summary>
internal sealed class RowRuns
{
    private readonly long[] _starts;
    private readonly long[] _counts;
    private readonly long[] _positions;

    public RowRuns(IEnumerable<(long Start, long Count)> runs)
    {
        var starts = new List<long>();
        var counts = new List<long>();
        long last = -1;
        foreach (var (start, count) in runs)
        {
            if (count <= 0)
            {
                continue;
            }
            if (start <= last)
            {
                throw new FormatException($"Row runs must ascend without overlap: run at {start} after row {last}.");
            }
            if (starts.Count > 0 && starts[^1] + counts[^1] == start)
            {
                counts[^1] += count;
            }
            else
            {
                starts.Add(start);
                counts.Add(count);
            }
            last = start + count - 1;
        }
        _starts = [.. starts];
        _counts = [.. counts];
        _positions = new long[_starts.Length];
        long position = 0;
        for (var i = 0; i < _starts.Length; i++)
        {
            _positions[i] = position;
            position += _counts[i];
        }
        Count = position;
    }

    public static RowRuns All(long rows) => new([(0, rows)]);

    /// <summary>Builds runs from ascending row indices.</summary>
    public static RowRuns FromSorted(IEnumerable<long> rows)
    {
        var runs = new List<(long, long)>();
        long start = -1, count = 0;
        foreach (var row in rows)
        {
            if (count > 0 && row == start + count)
            {
                count++;
                continue;
            }
            if (count > 0)
            {
                runs.Add((start, count));
            }
            start = row;
            count = 1;
        }
        if (count > 0)
        {
            runs.Add((start, count));
        }
        return new RowRuns(runs);
    }

    public long Count { get; }

    public IEnumerable<(long Start, long Count)> Runs => _starts.Zip(_counts);

    /// <summary>The row index at <paramref name="position"/>.</summary>
    public long this[long position]
    {
        get
        {
            if ((ulong)position >= (ulong)Count)
            {
                throw new ArgumentOutOfRangeException(nameof(position), position, $"Row {position} is outside 0..{Count - 1}.");
            }
            var i = Array.BinarySearch(_positions, position);
            if (i < 0)
            {
                i = ~i - 1;
            }
            return _starts[i] + (position - _positions[i]);
        }
    }

    /// <summary>The position holding <paramref name="row"/>, or -1 when the row is not in the set.</summary>
    public long PositionOf(long row)
    {
        var i = Array.BinarySearch(_starts, row);
        if (i < 0)
        {
            i = ~i - 1;
        }
        if (i < 0 || row >= _starts[i] + _counts[i])
        {
            return -1;
        }
        return _positions[i] + (row - _starts[i]);
    }

    /// <summary>The rows of this set that are not in <paramref name="removed"/>.</summary>
    public RowRuns Except(RowRuns removed)
    {
        if (removed.Count == 0)
        {
            return this;
        }
        var result = new List<(long, long)>();
        var j = 0;
        for (var i = 0; i < _starts.Length; i++)
        {
            var start = _starts[i];
            var end = _starts[i] + _counts[i];
            while (j < removed._starts.Length && removed._starts[j] + removed._counts[j] <= start)
            {
                j++;
            }
            var k = j;
            while (start < end)
            {
                if (k >= removed._starts.Length || removed._starts[k] >= end)
                {
                    result.Add((start, end - start));
                    break;
                }
                if (removed._starts[k] > start)
                {
                    result.Add((start, removed._starts[k] - start));
                }
                start = Math.Max(start, removed._starts[k] + removed._counts[k]);
                k++;
            }
        }
        return new RowRuns(result);
    }
}
