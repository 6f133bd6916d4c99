using Tlc.Schemas;

namespace Tlc.Metrics;

/// <summary>
/// Computes per-sample metrics columns from a batch and the predictor's output (3LC's metrics collectors:
/// classification, embeddings, segmentation, bounding boxes, functional). Runs on the inference thread.
/// </summary>
public interface IMetricsCollector
{
    /// <summary>The columns this collector adds, given the input table's schema (for class names).</summary>
    IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input);

    /// <summary>The hidden layers (indices into <c>named_modules()</c>) it reads; the predictor must capture them.</summary>
    IReadOnlyList<int> Layers { get; }

    /// <summary>
    /// The values of each column for the batch: column name → one value per sample, in batch order (typed arrays such
    /// as <c>float[]</c>, <c>int[]</c>, <c>float[][]</c>, or any list the table writer accepts).
    /// </summary>
    IReadOnlyDictionary<string, System.Collections.IList> Collect(SampleBatch batch, PredictorOutput output);
}
