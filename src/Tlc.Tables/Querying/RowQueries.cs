using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Querying;

/// <summary>
/// Evaluates <see cref="RowQuery"/>, histograms and value counts over a table (any table: stored, derived, a revision,
/// a metrics table read by example_id). Each scans the values of the columns it needs (<see cref="IRowSource.ReadColumn"/>:
/// a table keeps them, so repeated queries over one table scan arrays).
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
        return Page(Ordered(table, query.Filters, query.SortBy, query.Descending, cancellationToken), query.Offset, query.Limit);
    }

    /// <summary>The page of <paramref name="limit"/> rows from position <paramref name="offset"/> of <paramref name="ordered"/> (a query's <see cref="Ordered"/> rows).</summary>
    public static RowPage Page(IReadOnlyList<long> ordered, long offset, int limit)
    {
        ArgumentNullException.ThrowIfNull(ordered);
        var start = (int)Math.Min(offset, ordered.Count);
        return new RowPage(ordered.Count, offset, [.. Enumerable.Range(start, Math.Min(limit, ordered.Count - start)).Select(i => ordered[i])]);
    }

    /// <summary>
    /// Every row of <paramref name="table"/> matching <paramref name="filters"/>, sorted by <paramref name="sortBy"/> (null:
    /// table order; nulls first ascending, last descending; ties in table order): what pages of one query slice, so a caller
    /// paging through a large table may keep it.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A filter or the sort names a column the table does not have.</exception>
    public static IReadOnlyList<long> Ordered(IRowSource table, IReadOnlyList<ColumnPredicate> filters, string? sortBy, bool descending,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(filters);
        var matching = Matching(table, filters, cancellationToken);
        if (sortBy is null)
        {
            return matching;
        }
        var column = table.ReadColumn(Name(table, sortBy));
        var order = SortNumbers(column, matching, descending) ?? SortValues(column, matching, descending);
        var rows = new long[order.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = matching[order[i]];
        }
        return rows;
    }

    /// <summary>The positions of <paramref name="matching"/> in sorted order when every value is a number or null (typed keys, no boxing in the sort); else null.</summary>
    private static int[]? SortNumbers(object?[] column, IReadOnlyList<long> matching, bool descending)
    {
        var keys = new double[matching.Count];
        var order = new int[matching.Count];
        var nulls = new List<int>();
        var count = 0;
        for (var i = 0; i < matching.Count; i++)
        {
            switch (column[matching[i]])
            {
                case null:
                    nulls.Add(i);
                    break;
                case var value when value is not string && ValueConversions.TryFloat(value, out var key):
                    keys[count] = key;
                    order[count++] = i;
                    break;
                default:
                    return null;
            }
        }
        System.Array.Sort(keys, order, 0, count);
        // Equal keys in table order (the sort is not stable), each run in place.
        for (int start = 0, end; start < count; start = end)
        {
            for (end = start + 1; end < count && keys[end].CompareTo(keys[start]) == 0; end++)
            {
            }
            if (end - start > 1)
            {
                System.Array.Sort(order, start, end - start);
            }
        }
        var result = new int[matching.Count];
        var at = 0;
        if (!descending)
        {
            nulls.CopyTo(result, 0);
            System.Array.Copy(order, 0, result, nulls.Count, count);
            return result;
        }
        // Descending: runs of equal keys from the largest down, each still in table order; nulls last.
        for (int end = count, start; end > 0; end = start)
        {
            for (start = end - 1; start > 0 && keys[start - 1].CompareTo(keys[end - 1]) == 0; start--)
            {
            }
            System.Array.Copy(order, start, result, at, end - start);
            at += end - start;
        }
        nulls.CopyTo(result, at);
        return result;
    }

    /// <summary>The positions of <paramref name="matching"/> in sorted order by <see cref="ValueOrder"/> (any values).</summary>
    private static int[] SortValues(object?[] column, IReadOnlyList<long> matching, bool descending)
    {
        var keys = new object?[matching.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = column[matching[i]];
        }
        var order = Enumerable.Range(0, keys.Length).ToArray();
        System.Array.Sort(order, Comparer<int>.Create((a, b) =>
        {
            var c = ValueOrder.Compare(keys[a], keys[b]);
            c = descending ? -c : c;
            return c != 0 ? c : a.CompareTo(b); // stable: ties keep table order
        }));
        return order;
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
        var read = table.ReadColumn(column);
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            if (read[row] is { } value && ValueConversions.TryFloat(value, out var v) && !double.IsNaN(v))
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
        var read = table.ReadColumn(column);
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            if (read[row] is { } value)
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
        var firstValues = table.ReadColumn(first);
        var secondValues = table.ReadColumn(second);
        foreach (var row in Matching(table, filters ?? [], cancellationToken))
        {
            var key = (firstValues[row], secondValues[row]);
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        var order = Comparer<object?>.Create(ValueOrder.Compare);
        return [.. counts.Select(kv => new PairCount(kv.Key.First, kv.Key.Second, kv.Value))
            .OrderByDescending(c => c.Count).ThenBy(c => c.First, order).ThenBy(c => c.Second, order)];
    }

    /// <summary>The rows of <paramref name="table"/> matching every filter in <paramref name="filters"/>, in table order.</summary>
    /// <exception cref="KeyNotFoundException">A filter names a column the table does not have.</exception>
    public static IReadOnlyList<long> MatchingRows(IRowSource table, IReadOnlyList<ColumnPredicate> filters, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(filters);
        return Matching(table, filters, cancellationToken);
    }

    /// <summary>The rows matching every filter, in table order: one predicate at a time over its column's values, each over the rows the ones before kept.</summary>
    private static IReadOnlyList<long> Matching(IRowSource table, IReadOnlyList<ColumnPredicate> filters, CancellationToken cancellationToken)
    {
        IReadOnlyList<long> rows = new AllRows(table.RowCount);
        foreach (var filter in filters)
        {
            var test = filter.Compile(table.Schema[Name(table, filter.Column)]);
            var values = table.ReadColumn(filter.Column);
            var kept = new List<long>();
            for (var i = 0; i < rows.Count; i++)
            {
                if ((i & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (test(values[rows[i]]))
                {
                    kept.Add(rows[i]);
                }
            }
            rows = kept;
        }
        return rows;
    }

    /// <summary>Every row of a table, without a list of them (no filter).</summary>
    private sealed class AllRows(long count) : IReadOnlyList<long>
    {
        public int Count { get; } = checked((int)count);

        public long this[int index] => index;

        public IEnumerator<long> GetEnumerator()
        {
            for (long row = 0; row < Count; row++)
            {
                yield return row;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static string Name(IRowSource table, string column) => table.Schema.IndexOf(column) >= 0 ? column
        : throw new KeyNotFoundException($"{table.Url} has no column '{column}'. Columns: {string.Join(", ", table.Schema.Names)}.");
}
