using Tlc.Tables;
using Tlc.Tables.Storage;

namespace Tlc;

/// <summary>One metrics row with the input row it describes.</summary>
/// <param name="ExampleId">The example id (row index into the metrics table's own foreign table revision).</param>
/// <param name="Row">The row in the viewed table (the foreign revision or a newer one), or null when it no longer exists there.</param>
/// <param name="Metrics">The metrics row.</param>
/// <param name="Input">The input row (raw values), or null when deleted or filtered out in the viewed revision.</param>
public sealed record MetricsSample(long ExampleId, long? Row, TableRow Metrics, TableRow? Input);

/// <summary>
/// Drill-down from metrics to samples (what 3LC's Dashboard does when a user clicks an outlier): joins a metrics table's
/// rows to their input rows by <c>example_id</c>, in the exact revision the metrics name, or along lineage in a newer
/// revision (rows deleted since drop out).
/// </summary>
public static class MetricsView
{
    /// <summary>The foreign table (exact revision) a metrics table's example ids index.</summary>
    public static async Task<Table> ForeignTableAsync(Table metrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var url = metrics.Object.Properties?.GetValueOrDefault(TableObject.ForeignTableUrlProperty)
            ?? throw new InvalidOperationException($"{metrics.Url} is not a metrics table (no foreign_table_url).");
        return await Table.OpenAsync(url, metrics.Adapters, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every metrics row with its input row in <paramref name="view"/> (default: the foreign revision itself). A newer
    /// revision must descend from the foreign one by single-parent steps (edits, filters, subsets).
    /// </summary>
    public static async Task<IReadOnlyList<MetricsSample>> JoinAsync(Table metrics, Table? view = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var foreign = await ForeignTableAsync(metrics, cancellationToken).ConfigureAwait(false);
        var target = view ?? foreign;
        var chain = Chain(foreign, target);
        var samples = new List<MetricsSample>((int)metrics.RowCount);
        for (long i = 0; i < metrics.RowCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var row = metrics.Rows[i];
            var id = (long)row["example_id"]!;
            long? mapped = id;
            foreach (var step in chain)
            {
                var next = step.MapRowFromParent(mapped.Value);
                mapped = next < 0 ? null : next;
                if (mapped is null)
                {
                    break;
                }
            }
            samples.Add(new MetricsSample(id, mapped, row, mapped is { } r ? target.Rows[r] : null));
        }
        return samples;
    }

    /// <summary>The derivation steps from <paramref name="foreign"/> to <paramref name="target"/>, oldest first.</summary>
    private static List<Table> Chain(Table foreign, Table target)
    {
        var steps = new List<Table>();
        var current = target;
        while (current.Object.Id != foreign.Object.Id)
        {
            if (current.Parents.Count != 1)
            {
                throw new InvalidOperationException(
                    $"{target.Url} does not descend from {foreign.Url} by single-parent revisions: its metrics cannot be mapped to it.");
            }
            steps.Add(current);
            current = current.Parents[0];
        }
        steps.Reverse();
        return steps;
    }
}
