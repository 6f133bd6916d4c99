namespace Tlc.Metrics;

/// <summary>Options of <see cref="ClassifierTrainer"/>.</summary>
public sealed class ClassifierTrainerOptions
{
    /// <summary>Samples drawn per epoch (weighted and shuffled sampling; a shorter epoch than the table). Default: every row (weighted: as many draws as rows).</summary>
    public long? SamplesPerEpoch { get; init; }

    /// <summary>Passes over the data (default 1).</summary>
    public int Epochs { get; init; } = 1;

    /// <summary>Samples per optimizer step (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The optimizer (default Adam).</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>The learning rate (default 0.001).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>SGD's momentum (default 0.9).</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>L2 weight decay (default 0).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Seeds torch (<c>manual_seed</c>) and the samplers; epoch <c>e</c> samples with <c>Seed + e</c>.</summary>
    public int Seed { get; init; }

    /// <summary>How rows are picked each epoch (default shuffled).</summary>
    public SamplingMode Sampling { get; init; } = SamplingMode.Shuffle;

    /// <summary>The ground-truth column of a table (class index values; default "label").</summary>
    public string LabelColumn { get; init; } = ClassificationCollector.DefaultLabelColumn;

    /// <summary>Threads decoding and preprocessing table samples (default: one per processor).</summary>
    public int DecodeThreads { get; init; } = Environment.ProcessorCount;
}
