namespace Tlc.Metrics;

/// <summary>How <see cref="ClassifierTrainer"/> picks the rows of an epoch (3LC's samplers over the <c>weight</c> column).</summary>
public enum SamplingMode
{
    /// <summary>Every row once, shuffled with the epoch's seed.</summary>
    Shuffle,

    /// <summary>Every row once, in order.</summary>
    Sequential,

    /// <summary>As many draws as rows, with probability proportional to weight, with replacement (needs a weight column).</summary>
    Weighted,

    /// <summary>Each row repeated by its weight and shuffled: an epoch is about the sum of the weights long (needs a weight column).</summary>
    RepeatByWeight,
}
