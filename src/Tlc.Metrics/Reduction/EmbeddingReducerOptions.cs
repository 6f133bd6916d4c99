namespace Tlc.Metrics.Reduction;

/// <summary>Settings of an <see cref="EmbeddingReducer"/> run.</summary>
public sealed record EmbeddingReducerOptions
{
    /// <summary>The output dimension: 2 or 3. Default 2.</summary>
    public int Components { get; init; } = 2;

    /// <summary>
    /// The most rows the PCA is fitted on; a larger table is fitted on that many evenly spaced rows (row ⌊i·n/N⌋) and
    /// transformed whole. Default 10,000.
    /// </summary>
    public int MaxFitRows { get; init; } = 10_000;

    /// <summary>The output column. Default: the input column's name + <c>_pca</c>.</summary>
    public string? OutputColumn { get; init; }
}
