using System.Collections;
using Tlc.Schemas;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Hidden-layer activations as per-sample embeddings (3LC's <c>EmbeddingsMetricsCollector</c>): one column
/// <c>embeddings_&lt;layer&gt;</c> per layer index (into <c>named_modules()</c>; the predictor must capture the same
/// indices), each activation reduced to a vector by its <see cref="EmbeddingReshape"/>.
/// </summary>
/// <remarks>
/// A column's schema is <see cref="EmbeddingSchema"/> with the vector length when it is given (<c>dimensions</c>),
/// stored as a fixed-size list and checked on every batch; without it the length is left open (a variable-size list),
/// because the output schema is fixed before the model has run.
/// </remarks>
public sealed class EmbeddingsCollector : IMetricsCollector
{
    private readonly Dictionary<int, EmbeddingReshape> _reshape;
    private readonly Dictionary<int, int> _dimensions;

    /// <summary>Embeddings of <paramref name="layers"/>, all reduced the same way.</summary>
    public EmbeddingsCollector(IEnumerable<int> layers, EmbeddingReshape reshape = EmbeddingReshape.Mean, IReadOnlyDictionary<int, int>? dimensions = null)
        : this(layers, (layers ?? throw new ArgumentNullException(nameof(layers))).Distinct().ToDictionary(l => l, _ => reshape), dimensions)
    {
    }

    /// <summary>Embeddings of <paramref name="layers"/>, reduced per layer (layers missing from <paramref name="reshape"/> use the mean).</summary>
    public EmbeddingsCollector(IEnumerable<int> layers, IReadOnlyDictionary<int, EmbeddingReshape>? reshape, IReadOnlyDictionary<int, int>? dimensions = null)
    {
        ArgumentNullException.ThrowIfNull(layers);
        Layers = layers.Distinct().ToArray();
        if (Layers.Count == 0)
        {
            throw new ArgumentException("An embeddings collector needs at least one layer.", nameof(layers));
        }
        if (Layers.Any(l => l < 0))
        {
            throw new ArgumentOutOfRangeException(nameof(layers), Layers.Min(), "Layer indices must be at least 0.");
        }
        _reshape = Layers.ToDictionary(l => l, l => reshape is not null && reshape.TryGetValue(l, out var r) ? r : EmbeddingReshape.Mean);
        foreach (var key in (reshape?.Keys ?? []).Concat(dimensions?.Keys ?? []))
        {
            if (!_reshape.ContainsKey(key))
            {
                throw new ArgumentException($"Layer {key} has a reshape or dimension but is not one of the layers ({string.Join(", ", Layers)}).", nameof(layers));
            }
        }
        _dimensions = dimensions?.ToDictionary() ?? [];
        foreach (var (layer, dimension) in _dimensions)
        {
            if (dimension <= 0)
            {
                throw new ArgumentOutOfRangeException(nameof(dimensions), dimension, $"The dimension of layer {layer} must be positive.");
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers { get; }

    /// <summary>The reduction of each layer.</summary>
    public IReadOnlyDictionary<int, EmbeddingReshape> Reshape => _reshape;

    /// <summary>The declared vector length of each layer that has one.</summary>
    public IReadOnlyDictionary<int, int> Dimensions => _dimensions;

    /// <summary>The column name of a layer: <c>embeddings_&lt;layer&gt;</c>.</summary>
    public static string ColumnName(int layer) => $"embeddings_{layer}";

    /// <inheritdoc />
    public IReadOnlyDictionary<string, ColumnSchema> Columns(TableSchema input) =>
        Layers.ToDictionary(ColumnName, l => (ColumnSchema)new EmbeddingSchema(_dimensions.TryGetValue(l, out var d) ? d : null));

    /// <inheritdoc />
    public IReadOnlyDictionary<string, IList> Collect(SampleBatch batch, PredictorOutput output)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(output);
        var result = new Dictionary<string, IList>();
        foreach (var layer in Layers)
        {
            if (!output.HiddenLayers.TryGetValue(layer, out var activation))
            {
                throw new InvalidOperationException(
                    $"Layer {layer} was not captured (captured: {string.Join(", ", output.HiddenLayers.Keys.Order())}): give the predictor the layers of the embeddings collector.");
            }
            using var scope = NewDisposeScope();
            var vectors = Apply(activation.detach().cpu().to(ScalarType.Float32), _reshape[layer]);
            if (vectors.shape[0] != batch.Count)
            {
                throw new InvalidOperationException($"Layer {layer} gives {vectors.shape[0]} activations for a batch of {batch.Count}.");
            }
            var dim = checked((int)vectors.shape[1]);
            if (_dimensions.TryGetValue(layer, out var declared) && declared != dim)
            {
                throw new InvalidOperationException($"Layer {layer} gives embeddings of {dim} values ({_reshape[layer].Name()}), not the declared {declared}.");
            }
            var flat = vectors.contiguous().data<float>().ToArray();
            var rows = new float[batch.Count][];
            for (var i = 0; i < rows.Length; i++)
            {
                rows[i] = flat.AsSpan(i * dim, dim).ToArray();
            }
            result[ColumnName(layer)] = rows;
        }
        return result;
    }

    /// <summary>Reduces an activation [B, ...] to [B, D] (see <see cref="EmbeddingReshape"/>).</summary>
    public static Tensor Apply(Tensor activation, EmbeddingReshape reshape)
    {
        ArgumentNullException.ThrowIfNull(activation);
        var rank = activation.dim();
        if (rank == 0)
        {
            throw new ArgumentException("An activation needs a batch dimension.", nameof(activation));
        }
        if (rank == 1)
        {
            return activation.unsqueeze(1);
        }
        if (rank == 2)
        {
            return activation.alias();
        }
        return reshape switch
        {
            EmbeddingReshape.Flatten => activation.flatten(1),
            EmbeddingReshape.Mean => activation.mean(Enumerable.Range(1, (int)rank - 2).Select(d => (long)d).ToArray()).reshape(activation.shape[0], -1),
            EmbeddingReshape.AvgPool => activation.mean(Enumerable.Range(2, (int)rank - 2).Select(d => (long)d).ToArray()),
            _ => throw new ArgumentOutOfRangeException(nameof(reshape), reshape, null),
        };
    }
}
