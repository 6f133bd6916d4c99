using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Querying;

/// <summary>
/// Evaluates <see cref="RowQuery"/>, histograms and value counts over a table (any table: stored, derived, a revision,
/// a metrics table read by example_id). Each reads the columns it needs once; nothing is kept between calls.
/// </summary>
public static class RowQueries
{
    /// <summary>The page of rows <paramref name="query"/> asks for.</summary>
    /// <exception cref="KeyNotFoundException">A filter or the sort names a column the table does not have (named, with the columns it has).</exception>
    public static RowPage Run(IRowSource table, RowQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(query);
        if (query.Offset < 0 || query.Limit < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(query), $"A page needs offset ≥ 0 and limit ≥ 0 (got offset {query.Offset}, limit {query.Limit}).");
        }
        var matching = Matching(table, query.Filters, cancellationToken);
        if (query.SortBy is { } sortBy)
        {
            Name(table, sortBy);
            var keys = new object?[matching.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                keys[i] = table.GetValue(sortBy, matching[i]);
            }
            var order = Enumerable.Range(0, keys.Length).ToArray();
            var comparer = Comparer<int>.Create((a, b) =>
            {
                var c = ValueOrder.Compare(keys[a], keys[b]);
                c = query.Descending ? -c : c;
                return c != 0 ? c : matching[a].CompareTo(matching[b]); // stable: ties keep table order
            });
            System.Array.Sort(order, comparer);
            return new RowPage(matching.Count, query.Offset, [.. order.Skip(Clamp(query.Offset)).Take(query.Limit).Select(i => matching[i])]);
        }
        return new RowPage(matching.Count, query.Offset, [.. matching.Skip(Clamp(query.Offset)).Take(query.Limit)]);
    }

    /// <summary>A histogram of numeric column <paramref name="column"/> in <paramref name="bins"/> equal bins, over the rows matching <paramref name="filters"/>.</summary>
    public static Histogram Histogram(IRowSource table, string column, int bins, IReadOnlyList<ColumnPredicate>? filters = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        Name(table, column);
        if (table.Schema[column] is not ScalarSchema { Kind: not ScalarKind.String and not ScalarKind.Bool })
        {
            throw new ArgumentException($"{table.Url}: column '{column}' is not numeric ({table.Schema[column].Type}); a histogram needs numbers. Try value counts.", nameof(column));
        }
        var values = new List<double>();
        long nulls = 0;
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            if (table.GetValue(column, row) is { } value && ValueConversions.TryFloat(value, out var v) && !double.IsNaN(v))
            {
                values.Add(v);
            }
            else
            {
                nulls++;
            }
        }
        var counts = new long[bins];
        if (values.Count == 0)
        {
            return new Histogram(0, 0, counts, nulls);
        }
        var min = values.Min();
        var max = values.Max();
        var width = (max - min) / bins;
        foreach (var v in values)
        {
            var bin = width > 0 ? (int)((v - min) / width) : 0;
            counts[Math.Clamp(bin, 0, bins - 1)]++;
        }
        return new Histogram(min, max, counts, nulls);
    }

    /// <summary>The <paramref name="max"/> most frequent values of <paramref name="column"/> over the rows matching <paramref name="filters"/>, most frequent first (ties by value).</summary>
    public static IReadOnlyList<ValueCount> ValueCounts(IRowSource table, string column, IReadOnlyList<ColumnPredicate>? filters = null, int max = 100,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        Name(table, column);
        var counts = new Dictionary<object, long>();
        long nulls = 0;
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            if (table.GetValue(column, row) is { } value)
            {
                counts[value] = counts.GetValueOrDefault(value) + 1;
            }
            else
            {
                nulls++;
            }
        }
        var result = counts.Select(kv => new ValueCount(kv.Key, kv.Value)).ToList();
        if (nulls > 0)
        {
            result.Add(new ValueCount(null, nulls));
        }
        return [.. result.OrderByDescending(v => v.Count).ThenBy(v => v.Value, Comparer<object?>.Create(ValueOrder.Compare)).Take(max)];
    }

    /// <summary>
    /// How often each pair of values of <paramref name="first"/> and <paramref name="second"/> occurs over the rows matching
    /// <paramref name="filters"/> (a confusion matrix when they are a label and a prediction), most frequent first.
    /// </summary>
    public static IReadOnlyList<PairCount> CrossCounts(IRowSource table, string first, string second, IReadOnlyList<ColumnPredicate>? filters = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        Name(table, first);
        Name(table, second);
        var counts = new Dictionary<(object? First, object? Second), long>();
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            var key = (table.GetValue(first, row), table.GetValue(second, row));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var order = Comparer<object?>.Create(ValueOrder.Compare);
        return [.. counts.Select(kv => new PairCount(kv.Key.First, kv.Key.Second, kv.Value))
            .OrderByDescending(c => c.Count).ThenBy(c => c.First, order).ThenBy(c => c.Second, order)];
    }

    /// <summary>The rows matching every filter, in table order.</summary>
    private static List<long> Matching(IRowSource table, IReadOnlyList<ColumnPredicate> filters, CancellationToken cancellationToken)
    {
        var compiled = filters.Select(f => (Column: f.Column, Test: f.Compile(table.Schema[Name(table, f.Column)]))).ToList();
        var rows = new List<long>();
        for (long row = 0; row < table.RowCount; row++)
        {
            if ((row & 0xFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var keep = true;
            foreach (var (column, test) in compiled)
            {
                if (!test(table.GetValue(column, row)))
                {
                    keep = false;
                    break;
                }
            }
            if (keep)
            {
                rows.Add(row);
            }
        }
        return rows;
    }

    private static string Name(IRowSource table, string column) => table.Schema.IndexOf(column) >= 0 ? column
        : throw new KeyNotFoundException($"{table.Url} has no column '{column}'. Columns: {string.Join(", ", table.Schema.Names)}.");

    private static int Clamp(long offset) => (int)Math.Min(offset, int.MaxValue);
}
