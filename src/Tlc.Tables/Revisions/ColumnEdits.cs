using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Revisions;

/// <summary>
/// The value edits of one column as runs: inclusive row runs (in the parent's row space), each with a value. Values are
/// held as a typed Arrow array, validated against the column schema. Reads look a row up in O(log runs).
/// </summary>
internal sealed class ColumnEdits : IColumnEdits
{
    private readonly long[] _starts;
    private readonly long[] _ends;
    private readonly IArrowArray _values;

    private ColumnEdits(long[] starts, long[] ends, IArrowArray values)
    {
        _starts = starts;
        _ends = ends;
        _values = values;
    }

    public int RunCount => _starts.Length;

    public IEnumerable<(long Start, long End, object? Value)> Runs =>
        Enumerable.Range(0, _starts.Length).Select(i => (_starts[i], _ends[i], ArrowValues.GetValue(_values, i)));

    /// <inheritdoc />
    public long LastRow => _ends.Length > 0 ? _ends[^1] : -1;

    /// <inheritdoc />
    public IColumnEdits ForScan() => this;

    /// <summary>True when the runs cover every row 0..<paramref name="rowCount"/>-1, without a gap.</summary>
    public bool CoversEveryRow(long rowCount)
    {
        if (rowCount <= 0 || _starts.Length == 0 || _starts[0] != 0 || _ends[^1] != rowCount - 1)
        {
            return false;
        }
        for (var i = 1; i < _starts.Length; i++)
        {
            if (_starts[i] != _ends[i - 1] + 1)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The value of every edited row in row order, as arrays of at most <paramref name="batchRows"/> values typed as the
    /// table stores <paramref name="schema"/> (for edits that cover every row, see <see cref="CoversEveryRow"/>).
    /// </summary>
    public IEnumerable<IArrowArray> ToDenseArrays(string column, ColumnSchema schema, int batchRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchRows, 1);
        var builder = ColumnBuilder.Create(schema, column);
        for (var i = 0; i < _starts.Length; i++)
        {
            var value = ArrowValues.GetValue(_values, i);
            for (var row = _starts[i]; row <= _ends[i]; row++)
            {
                builder.Append(value, row);
                if (builder.Length == batchRows)
                {
                    yield return builder.Build();
                }
            }
        }
        if (builder.Length > 0)
        {
            yield return builder.Build();
        }
    }

    /// <inheritdoc />
    public bool TryGet(long row, out object? value)
    {
        var i = System.Array.BinarySearch(_starts, row);
        if (i < 0)
        {
            i = ~i - 1;
        }
        if (i >= 0 && row <= _ends[i])
        {
            value = ArrowValues.GetValue(_values, i);
            return true;
        }
        value = null;
        return false;
    }

    /// <summary>
    /// Builds edits from assignments applied in order (a later assignment to a row wins); rows are validated against
    /// <paramref name="rowCount"/> and values against the schema.
    /// </summary>
    public static ColumnEdits Build(string column, ColumnSchema schema, IEnumerable<(long Start, long End, object? Value)> assignments, long rowCount)
    {
        var resolved = Resolve(column, assignments.ToList(), rowCount);
        var builder = ColumnBuilder.Create(schema, column);
        var starts = new long[resolved.Count];
        var ends = new long[resolved.Count];
        var i = 0;
        foreach (var (start, end, value) in resolved)
        {
            builder.Append(value, start);
            starts[i] = start;
            ends[i] = end;
            i++;
        }
        return new ColumnEdits(starts, ends, builder.Build());
    }

    /// <summary>
    /// Turns assignments (later ones win where they overlap) into ascending, non-overlapping runs: a sweep over run
    /// boundaries keeping the active assignments ordered by sequence, O(n log n).
    /// </summary>
    private static List<(long Start, long End, object? Value)> Resolve(string column, List<(long Start, long End, object? Value)> assignments, long rowCount)
    {
        for (var i = 0; i < assignments.Count; i++)
        {
            var (start, end, _) = assignments[i];
            if (start < 0 || end < start || end >= rowCount)
            {
                throw new ArgumentOutOfRangeException(nameof(assignments),
                    $"Edit of column '{column}': rows {start}..{end} are outside the table's rows 0..{rowCount - 1}.");
            }
        }
        var order = Enumerable.Range(0, assignments.Count).OrderBy(i => assignments[i].Start).ToList();
        var overlapping = false;
        for (var k = 1; k < order.Count && !overlapping; k++)
        {
            overlapping = assignments[order[k]].Start <= assignments[order[k - 1]].End;
        }
        if (!overlapping)
        {
            return order.Select(i => assignments[i]).ToList();
        }
        // Events: at Start the assignment becomes active, after End it stops.
        var events = new List<(long At, int Seq, bool Open)>(assignments.Count * 2);
        for (var i = 0; i < assignments.Count; i++)
        {
            events.Add((assignments[i].Start, i, true));
            events.Add((assignments[i].End + 1, i, false));
        }
        events.Sort((a, b) => a.At.CompareTo(b.At));
        var active = new SortedSet<int>();
        var result = new List<(long Start, long End, object? Value)>();
        var e = 0;
        while (e < events.Count)
        {
            var at = events[e].At;
            while (e < events.Count && events[e].At == at)
            {
                if (events[e].Open) active.Add(events[e].Seq); else active.Remove(events[e].Seq);
                e++;
            }
            if (active.Count == 0 || e >= events.Count)
            {
                continue;
            }
            var winner = active.Max;
            var next = events[e].At;
            if (result.Count > 0 && result[^1].End == at - 1 && ReferenceEquals(result[^1].Value, assignments[winner].Value))
            {
                result[^1] = (result[^1].Start, next - 1, result[^1].Value);
            }
            else
            {
                result.Add((at, next - 1, assignments[winner].Value));
            }
        }
        return result;
    }

    /// <summary>
    /// The <c>runs_and_values</c> (<see cref="ToRunsAndValues"/>) when, written compactly, they take at most
    /// <paramref name="maxBytes"/> bytes of UTF-8; null when they take more. Values are serialised one at a time and the
    /// count stops as soon as what it has seen exceeds the bound, so a large edit is never written out to be measured.
    /// </summary>
    public JsonArray? RunsAndValuesWithin(int maxBytes)
    {
        // A lower bound of the compact length: each distinct value once, each run's first row and a separator.
        long bound = 1;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < _starts.Length; i++)
        {
            bound += 2;
            var key = ToJson(ArrowValues.GetValue(_values, i))?.ToJsonString() ?? "null";
            if (seen.Add(key))
            {
                bound += System.Text.Encoding.UTF8.GetByteCount(key) + 3;
            }
            if (bound > maxBytes)
            {
                return null;
            }
        }
        var runs = ToRunsAndValues();
        return System.Text.Encoding.UTF8.GetByteCount(runs.ToJsonString()) <= maxBytes ? runs : null;
    }

    /// <summary>Writes 3LC's <c>runs_and_values</c>: runs with equal values share one entry.</summary>
    public JsonArray ToRunsAndValues()
    {
        var groups = new List<(List<long> Rows, JsonNode? Value, string Key)>();
        var byKey = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _starts.Length; i++)
        {
            var value = ToJson(ArrowValues.GetValue(_values, i));
            var key = value?.ToJsonString() ?? "null";
            if (!byKey.TryGetValue(key, out var g))
            {
                g = groups.Count;
                byKey[key] = g;
                groups.Add(([], value, key));
            }
            groups[g].Rows.Add(_starts[i]);
            if (_ends[i] > _starts[i])
            {
                groups[g].Rows.Add(-_ends[i]);
            }
        }
        var result = new JsonArray();
        foreach (var (rows, value, _) in groups)
        {
            result.Add(new JsonArray(rows.Select(r => (JsonNode?)r).ToArray()));
            result.Add(value);
        }
        return result;
    }

    /// <summary>Reads 3LC's <c>runs_and_values</c>.</summary>
    public static ColumnEdits FromRunsAndValues(JsonArray runsAndValues, string column, ColumnSchema schema, string where)
    {
        if (runsAndValues.Count % 2 != 0)
        {
            throw new FormatException($"{where}: runs_and_values of '{column}' must alternate rows and values.");
        }
        var runs = new List<(long Start, long End, object? Value)>();
        for (var i = 0; i < runsAndValues.Count; i += 2)
        {
            if (runsAndValues[i] is not JsonArray rows)
            {
                throw new FormatException($"{where}: runs_and_values of '{column}' entry {i} must be a list of rows.");
            }
            object? value = runsAndValues[i + 1] is { } node ? JsonSerializer.SerializeToElement(node) : null;
            for (var j = 0; j < rows.Count; j++)
            {
                var start = rows[j]!.GetValue<long>();
                if (start < 0)
                {
                    throw new FormatException($"{where}: runs_and_values of '{column}' has a range end {start} without a start.");
                }
                var end = start;
                if (j + 1 < rows.Count && rows[j + 1]!.GetValue<long>() is < 0 and var closing)
                {
                    end = -closing;
                    j++;
                }
                runs.Add((start, end, value));
            }
        }
        runs.Sort((a, b) => a.Start.CompareTo(b.Start));
        for (var i = 1; i < runs.Count; i++)
        {
            if (runs[i].Start <= runs[i - 1].End)
            {
                throw new FormatException($"{where}: runs_and_values of '{column}' edits row {runs[i].Start} twice.");
            }
        }
        return Build(column, schema, runs, long.MaxValue);
    }

    /// <summary>The edits as a record batch (start, end, value) for an Arrow sidecar.</summary>
    public RecordBatch ToRecordBatch(ColumnSchema schema)
    {
        var arrowSchema = new Apache.Arrow.Schema.Builder()
            .Field(new Field("start", Apache.Arrow.Types.Int64Type.Default, false))
            .Field(new Field("end", Apache.Arrow.Types.Int64Type.Default, false))
            .Field(ArrowSchemas.ToField("value", schema))
            .Build();
        return new RecordBatch(arrowSchema,
            [new Int64Array.Builder().AppendRange(_starts).Build(), new Int64Array.Builder().AppendRange(_ends).Build(), _values],
            _starts.Length);
    }

    /// <summary>Reads edits from sidecar record batches.</summary>
    public static ColumnEdits FromRecordBatches(IEnumerable<RecordBatch> batches, string column, ColumnSchema schema, string where)
    {
        var runs = new List<(long, long, object?)>();
        foreach (var batch in batches)
        {
            if (batch.Column("start") is not Int64Array starts || batch.Column("end") is not Int64Array ends)
            {
                throw new FormatException($"{where}: edit sidecar of '{column}' needs int64 columns start and end.");
            }
            var values = batch.Column("value");
            for (var i = 0; i < batch.Length; i++)
            {
                runs.Add((starts.Values[i], ends.Values[i], ArrowValues.GetValue(values, i)));
            }
        }
        return Build(column, schema, runs, long.MaxValue);
    }

    internal static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        StructValue s => JsonSerializer.SerializeToNode(s.ToDictionary()),
        object?[] list => new JsonArray(list.Select(ToJson).ToArray()),
        _ => JsonSerializer.SerializeToNode(value),
    };
}
