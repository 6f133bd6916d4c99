namespace Tlc.Tables.Sampling;

/// <summary>What <see cref="Samplers.ForRank"/> does when an epoch's indices do not divide evenly among the ranks.</summary>
public enum RankPadding
{
    /// <summary>
    /// Every index exactly once across the ranks; ranks differ in length by at most one (exact evaluation: no duplicate
    /// corrupts a per-sample result).
    /// </summary>
    None,

    /// <summary>Equal lengths by repeating indices from the start (PyTorch's <c>DistributedSampler</c> default).</summary>
    Repeat,

    /// <summary>Equal lengths by dropping the last indices (<c>drop_last=True</c>).</summary>
    Drop,
}
