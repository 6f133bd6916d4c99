using Apache.Arrow;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables;

namespace Tlc;

/// <summary>
/// Cuts a table into shards (row ranges) and computes what each must cover: every row, or the rows with a non-zero
/// weight. Runs on the client (it may read the weight column); grains only ever see the plan.
/// </summary>
public static class ShardPlanner
{
    /// <summary>The plan for <paramref name="table"/> in shards of <paramref name="shardRows"/> rows.</summary>
    public static PartPlan[] Plan(Table table, int shardRows, bool excludeZeroWeights, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardRows);
        var included = excludeZeroWeights ? IncludedRows(table, cancellationToken) : null;
        var plans = new List<PartPlan>();
        for (long start = 0, index = 0; start < table.RowCount; start += shardRows, index++)
        {
            var end = Math.Min(table.RowCount, start + shardRows);
            var ids = included is null ? Range(start, end) : Range(start, end).Where(i => included[i]);
            var list = ids.ToList();
            plans.Add(new PartPlan((int)index, start, end, list.Count, ExampleIds.Digest(list)));
        }
        return [.. plans];
    }

    private static IEnumerable<long> Range(long start, long end)
    {
        for (var i = start; i < end; i++)
        {
            yield return i;
        }
    }

    private static bool[] IncludedRows(Table table, CancellationToken cancellationToken)
    {
        var column = table.Schema.FirstOrDefault(kv => kv.Value is SampleWeightSchema).Key
            ?? throw new InvalidOperationException($"{table.Url} has no weight column to exclude zero weights by.");
        var c = table.Schema.IndexOf(column);
        var included = new bool[table.RowCount];
        long row = 0;
        foreach (var batch in table.ScanBatches(cancellationToken))
        {
            var weights = (FloatArray)batch.Column(c);
            for (var i = 0; i < weights.Length; i++, row++)
            {
                included[row] = weights.GetValue(i) is > 0;
            }
        }
        return included;
    }
}
