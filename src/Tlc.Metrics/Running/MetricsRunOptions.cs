namespace Tlc.Metrics;

/// <summary>Options of <see cref="MetricsRunner.RunAsync"/>.</summary>
public sealed class MetricsRunOptions
{
    /// <summary>Samples per model call (default 64); the last batch of a range may be smaller.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Threads decoding and preprocessing samples (default: one per processor).</summary>
    public int DecodeThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Values repeated in every output row as columns of their own (e.g. <c>{"epoch": 3}</c>); see <see cref="MetricsRunner.ConstantSchema"/>.</summary>
    public IReadOnlyDictionary<string, object?>? Constants { get; init; }

    /// <summary>Leave out rows whose sample weight is 0 (tables without a weight column keep every row).</summary>
    public bool ExcludeZeroWeights { get; init; }

    /// <summary>
    /// The thread to run inference on, shared by every range run with the same model (a worker keeps one per loaded model).
    /// Default: null, a thread of its own for each run.
    /// </summary>
    public InferenceThread? Inference { get; init; }
}
