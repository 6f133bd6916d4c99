namespace Tlc.Metrics.Reduction;

/// <summary>How <see cref="EmbeddingReducer"/> reduces an embedding column.</summary>
public enum ReductionMethod
{
    /// <summary>
    /// Principal component analysis: exact and deterministic, fitted on a subset of rows and applied to every row (any table
    /// size, streaming). Keeps global structure (distances along the main directions), mixes local neighbourhoods.
    /// </summary>
    Pca,

    /// <summary>
    /// UMAP (McInnes, Healy &amp; Melville 2018): a fuzzy simplicial set on an approximate k-nearest-neighbour graph laid out
    /// in 2-D or 3-D by stochastic gradient descent with negative sampling. Keeps local neighbourhoods (clusters) far better
    /// than PCA; embeds every non-null row at once (memory grows with rows × dimensions) and is deterministic for a seed.
    /// 3LC reduces with UMAP by default.
    /// </summary>
    Umap,
}
