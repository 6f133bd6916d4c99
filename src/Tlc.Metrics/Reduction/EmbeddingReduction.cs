using Tlc.Schemas;
using Tlc.Tables;

namespace Tlc.Metrics.Reduction;

/// <summary>The reduced embeddings of a table: one value per row (null where the embedding is null) and how they were made.</summary>
/// <param name="Column">The embedding column reduced.</param>
/// <param name="OutputColumn">The column the values are meant for.</param>
/// <param name="Method">The method that reduced them.</param>
/// <param name="Components">The output dimension (2 or 3).</param>
/// <param name="Description">What the reduction was, for the output column's description (e.g. "PCA of embeddings_9 (2-D, fitted on 10000 rows).").</param>
/// <param name="Values">Per row, the reduced vector (of <paramref name="Components"/> values) or null.</param>
public sealed record EmbeddingReduction(string Column, string OutputColumn, ReductionMethod Method, int Components, string Description,
    IReadOnlyList<float[]?> Values)
{
    /// <summary>The fitted PCA under <see cref="ReductionMethod.Pca"/>; null under <see cref="ReductionMethod.Umap"/>.</summary>
    public PcaModel? Model { get; init; }

    /// <summary>The schema of the output column: a fixed-size embedding of 2 or 3 values, nullable when a row has none.</summary>
    public ColumnSchema Schema => new EmbeddingSchema(Components)
    {
        Nullable = Values.Any(v => v is null),
        Description = Description,
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
