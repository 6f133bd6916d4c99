namespace Tlc.Metrics;

/// <summary>How an activation [batch, ...] becomes one embedding vector per sample (3LC's reshape strategies).</summary>
public enum EmbeddingReshape
{
    /// <summary>
    /// The mean over every dimension between the batch and the last one: [B, T, D] → [B, D] (token or sequence
    /// averaging); a [B, D] activation is kept as it is.
    /// </summary>
    Mean,

    /// <summary>Everything after the batch dimension, flattened: [B, C, H, W] → [B, C·H·W].</summary>
    Flatten,

    /// <summary>
    /// Global average pooling: the mean over every dimension after the channel one, [B, C, H, W] → [B, C] (also for
    /// [B, C, L] and [B, C, D, H, W]); a [B, D] activation is kept as it is.
    /// </summary>
    AvgPool,
}

/// <summary>Names of <see cref="EmbeddingReshape"/> values as 3LC and collector specs write them.</summary>
public static class EmbeddingReshapes
{
    /// <summary>"mean", "flatten" or "avg_pool".</summary>
    public static string Name(this EmbeddingReshape reshape) => reshape switch
    {
        EmbeddingReshape.Mean => "mean",
        EmbeddingReshape.Flatten => "flatten",
        EmbeddingReshape.AvgPool => "avg_pool",
        _ => throw new ArgumentOutOfRangeException(nameof(reshape), reshape, null),
    };

    /// <summary>Parses "mean", "flatten" or "avg_pool" (case-insensitive; "avgpool" too).</summary>
    public static EmbeddingReshape Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "mean" => EmbeddingReshape.Mean,
        "flatten" => EmbeddingReshape.Flatten,
        "avg_pool" or "avgpool" => EmbeddingReshape.AvgPool,
        _ => throw new FormatException($"Unknown embedding reshape '{name}': expected mean, flatten or avg_pool."),
    };
}
