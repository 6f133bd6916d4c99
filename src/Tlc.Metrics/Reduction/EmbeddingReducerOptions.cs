namespace Tlc.Metrics.Reduction;

/// <summary>Settings of an <see cref="EmbeddingReducer"/> run.</summary>
public sealed record EmbeddingReducerOptions
{
    /// <summary>
    /// How to reduce. Default <see cref="ReductionMethod.Pca"/>: exact, fitted on a subset and applied to any number of rows
    /// in a second or two. <see cref="ReductionMethod.Umap"/> (3LC's default, and <c>tlc run reduce</c>'s) keeps clusters
    /// apart far better and takes longer: about 6–13 s for 10^4 rows and 24–43 s for 10^5 on two shared cores
    /// (see docs/benchmarks.md).
    /// </summary>
    public ReductionMethod Method { get; init; } = ReductionMethod.Pca;

    /// <summary>The output dimension: 2 or 3. Default 2.</summary>
    public int Components { get; init; } = 2;

    /// <summary>
    /// The most rows the PCA is fitted on; a larger table is fitted on that many evenly spaced rows (row ⌊i·n/N⌋) and
    /// transformed whole. Under UMAP, the PCA of its initial layout is fitted the same way (UMAP itself embeds every
    /// non-null row). Default 10,000.
    /// </summary>
    public int MaxFitRows { get; init; } = 10_000;

    /// <summary>The output column. Default: the input column's name + <c>_pca</c> or <c>_umap</c> (by <see cref="Method"/>).</summary>
    public string? OutputColumn { get; init; }

    /// <summary>
    /// UMAP: the size of each point's neighbourhood, counting the point itself (umap-learn's <c>n_neighbors</c>): larger
    /// keeps more global structure, smaller more local detail. At least 2; with fewer rows, all of them. Default 15.
    /// </summary>
    public int Neighbors { get; init; } = 15;

    /// <summary>UMAP: how tightly points may pack in the layout (umap-learn's <c>min_dist</c>), 0 to 1. Default 0.1.</summary>
    public double MinDistance { get; init; } = 0.1;

    /// <summary>UMAP: the layout's epochs. Default (null): 500 for up to 10,000 rows, else 200, as umap-learn.</summary>
    public int? Epochs { get; init; }

    /// <summary>
    /// UMAP: the seed of every random choice (initial neighbours, candidate sampling, initial noise, negative samples).
    /// The same seed, rows and options give the same layout, bit for bit. Default 0.
    /// </summary>
    public long Seed { get; init; }
}
