using System.Collections;
using Tlc.Schemas;
using static TorchSharp.torch;

namespace Tlc.Metrics.Embeddings;

/// <summary>
/// Stores each sample's model output as an embedding: the forward output (or one captured layer), flattened per sample
/// into a float32 vector, in the column <c>embeddings_&lt;name&gt;</c> (<see cref="EmbeddingSchema"/>). Meant for models whose
/// output already is a feature vector, such as an ONNX image featurizer (<c>[B, 512, 1, 1]</c> → 512 values). For
/// activations that need reducing (mean, avg-pool) use the embeddings collector over layers.
/// </summary>
public sealed class OutputEmbeddingCollector : IMetricsCollector
{
    /// <summary>The prefix of embedding columns.</summary>
    public const string ColumnPrefix = "embeddings_";

    private readonly int? _layer;

    /// <summary>Creates the collector.</summary>
    /// <param name="name">The column suffix: the column is <c>embeddings_&lt;name&gt;</c>. Default <c>output</c>, or the layer index.</param>
    /// <param name="dimensions">The vector length, fixed in the schema and checked per batch; null leaves it open.</param>
    /// <param name="layer">A captured layer to read instead of the forward output.</param>
    public OutputEmbeddingCollector(string? name = null, int? dimensions = null, int? layer = null)
    {
        if (dimensions is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, "An embedding has at least one dimension.");
        }
        if (layer is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(layer), layer, "Layer indices are not negative.");
        }
        _layer = layer;
        Dimensions = dimensions;
        ColumnName = ColumnPrefix + (name ?? layer?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "output");
    }

    /// <summary>The column written.</summary>
    public string ColumnName { get; }

    /// <summary>The vector length, or null when not fixed.</summary>
    public int? Dimensions { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers => _layer is { } l ? [l] : [];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input) =>
        new Dictionary<string, ColumnSchema>(StringComparer.Ordinal) { [ColumnName] = new EmbeddingSchema(Dimensions) };

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        Tensor source;
        if (_layer is { } layer)
        {
            source = output.HiddenLayers.TryGetValue(layer, out var hidden) ? hidden
                : throw new InvalidOperationException($"The predictor did not capture layer {layer} (captured: {string.Join(", ", output.HiddenLayers.Keys)}).");
        }
        else
        {
            source = output.Forward;
        }
        if (source.dim() == 0 || source.shape[0] != batch.Count)
        {
            throw new ArgumentException($"The output has shape [{string.Join(", ", source.shape)}] for a batch of {batch.Count}.");
        }
        float[] data;
        long width;
        using (var flat = source.detach().reshape(batch.Count, -1).to(ScalarType.Float32).cpu().contiguous())
        {
            width = flat.shape[1];
            data = flat.data<float>().ToArray();
        }
        if (Dimensions is { } d && d != width)
        {
            throw new ArgumentException($"Column '{ColumnName}' holds {d} dimensions; the output has {width} per sample.");
        }
        var rows = new float[batch.Count][];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = data.AsSpan((int)(i * width), (int)width).ToArray();
        }
        return new Dictionary<string, IList>(StringComparer.Ordinal) { [ColumnName] = rows };
    }
}
