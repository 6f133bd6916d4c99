using Tlc.Tables;

namespace Tlc;

/// <summary>Where each example of a metrics table is: the row holding each <c>example_id</c> (an input row index).</summary>
public static class ExampleRows
{
    /// <summary>
    /// The row of <paramref name="metrics"/> holding each example id, indexed by the id (−1 where none does); as long as
    /// the highest id + 1. A metrics table holds an example at most once.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The table has no <c>example_id</c> column.</exception>
    public static long[] Of(Table metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var ids = metrics.ReadColumn("example_id");
        long top = -1;
        foreach (var id in ids)
        {
            top = id is long l && l > top ? l : top;
        }
        var rows = new long[top + 1];
        Array.Fill(rows, -1L);
        for (var row = 0; row < ids.Length; row++)
        {
            if (ids[row] is long id && id >= 0)
            {
                rows[id] = row;
            }
        }
        return rows;
    }

    /// <summary>The row of <paramref name="metrics"/> holding example <paramref name="exampleId"/>, or null.</summary>
    public static long? Find(Table metrics, long exampleId)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var ids = metrics.ReadColumn("example_id");
        for (var row = 0; row < ids.Length; row++)
        {
            if (ids[row] is long id && id == exampleId)
            {
                return row;
            }
        }
        return null;
    }
}
