using Tlc.Schemas;
using Tlc.Tables;

namespace Tlc.Metrics.Reduction;

/// <summary>The reduced embeddings of a table: one value per row (null where the embedding is null) and the fitted model.</summary>
/// <param name="Column">The embedding column reduced.</param>
/// <param name="OutputColumn">The column the values are meant for.</param>
/// <param name="Model">The fitted PCA.</param>
/// <param name="Values">Per row, the reduced vector (of <see cref="PcaModel.Components"/>.Count values) or null.</param>
public sealed record EmbeddingReduction(string Column, string OutputColumn, PcaModel Model, IReadOnlyList<float[]?> Values)
{
    /// <summary>The schema of the output column: a fixed-size embedding of 2 or 3 values, nullable when a row has none.</summary>
    public ColumnSchema Schema => new EmbeddingSchema(Model.Components.Count)
    {
        Nullable = Values.Any(v => v is null),
        Description = $"PCA of {Column} ({Model.Components.Count}-D, fitted on {Model.FitRows} rows).",
    };

    /// <summary>
    /// Publishes a new revision of <paramref name="table"/> (the table reduced, still the head of its lineage) with the
    /// values as the column <see cref="OutputColumn"/>, and returns it.
    /// </summary>
    public Task<Table> WriteAsync(Table table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (table.RowCount != Values.Count)
        {
            throw new ArgumentException($"{table.Url} has {table.RowCount} rows; the reduction has {Values.Count} values.", nameof(table));
        }
        var rows = new long[Values.Count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }
        var editor = table.Edit()
            .AddColumn(OutputColumn, Schema)
            .SetEach(OutputColumn, rows, Values.Select(v => (object?)v).ToArray());
        return editor.CommitAsync(cancellationToken);
    }
}
