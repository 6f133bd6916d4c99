using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Storage;

namespace Tlc;

/// <summary>
/// One stream of a run over one input table: its metrics tables epoch after epoch (e.g. "val" at epochs 0, 1, 2), the
/// same samples measured again — what a sample's metrics across epochs are read from.
/// </summary>
public static class MetricsStream
{
    /// <summary>
    /// The metrics tables of <paramref name="metrics"/>'s run and stream over the same input table (it among them), in epoch
    /// order (tables without an epoch last, in the order the run registered them).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="metrics"/> is not a run's metrics table.</exception>
    public static async Task<IReadOnlyList<RunMetricsTable>> TablesAsync(ClusterContext context, Table metrics, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(metrics);
        var properties = metrics.Object.Properties;
        if (properties?.GetValueOrDefault(TableObject.RunProperty) is not { } key || key.Split('/') is not [var project, var run]
            || properties.GetValueOrDefault(TableObject.StreamNameProperty) is not { } stream
            || properties.GetValueOrDefault(TableObject.ForeignTableUrlProperty) is not { } input)
        {
            throw new ArgumentException($"{metrics.Url} is not a run's metrics table (it names no run, stream or input table).", nameof(metrics));
        }
        var info = await context.RunGrain(project, run).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        var tables = info.MetricsTables.Where(m => m.StreamName == stream && m.ForeignTableUrl == input).ToList();
        if (!tables.Any(m => m.Url == metrics.Url.Value))
        {
            tables.Add(new RunMetricsTable(metrics.Url.Value, stream, metrics.RowCount, 0, input, properties.GetValueOrDefault(TableObject.ConstantsProperty)));
        }
        return [.. tables.OrderBy(m => Epoch(m) ?? long.MaxValue)];
    }

    /// <summary>The epoch a metrics table of a run was written at (its constant <c>epoch</c>), or null.</summary>
    public static long? Epoch(RunMetricsTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        return table.ConstantsJson is { } json && JsonNode.Parse(json) is JsonObject constants && constants["epoch"] is JsonValue value
            && value.TryGetValue<long>(out var epoch) ? epoch : null;
    }
}
