using Tlc.Schemas;
using Tlc.Tables;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// A batch of samples on its way through a model: the rows' example ids (row indices in the input table), the decoded
/// samples (ground truth for collectors) and the stacked model input. Owns <see cref="Input"/>.
/// </summary>
public sealed class SampleBatch : IDisposable
{
    /// <summary>Creates a batch; <paramref name="input"/> is owned by the batch from now on.</summary>
    public SampleBatch(long[] exampleIds, IReadOnlyList<TableRow> samples, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(exampleIds);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(input);
        if (exampleIds.Length != samples.Count || input.shape[0] != samples.Count)
        {
            throw new ArgumentException($"A batch of {exampleIds.Length} ids has {samples.Count} samples and an input of {input.shape[0]} rows.");
        }
        ExampleIds = exampleIds;
        Samples = samples;
        Input = input;
    }

    /// <summary>The example ids: row indices in the input table.</summary>
    public long[] ExampleIds { get; }

    /// <summary>The decoded samples, in the order of <see cref="ExampleIds"/>.</summary>
    public IReadOnlyList<TableRow> Samples { get; }

    /// <summary>The model input, batch dimension first.</summary>
    public Tensor Input { get; }

    /// <summary>
    /// The input table's schema, when known: collectors read class names and value maps of ground-truth columns from it.
    /// </summary>
    public TableSchema? Schema { get; init; }

    /// <summary>The number of samples.</summary>
    public int Count => ExampleIds.Length;

    /// <inheritdoc />
    public void Dispose() => Input.Dispose();
}
