using System.Globalization;
using System.Text.Json.Nodes;

namespace Tlc.Metrics;

/// <summary>
/// The built-in collector <c>embeddings</c> (<see cref="EmbeddingsCollector"/>). Arguments: <c>{"layers": [9]}</c>, and
/// optionally <c>"reshape"</c> — one of mean, flatten, avg_pool for every layer, or per layer <c>{"9": "flatten"}</c> —
/// and <c>"dimensions"</c> — the vector length per layer, <c>{"9": 128}</c>, making the columns fixed-size.
/// </summary>
public sealed class EmbeddingsCollectorFactory : ICollectorFactory
{
    /// <summary>The factory name.</summary>
    public const string FactoryName = "embeddings";

    /// <inheritdoc />
    public string Name => FactoryName;

    /// <inheritdoc />
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"collector spec '{spec.Name}'");
        arguments.RejectUnknown("layers", "reshape", "dimensions");
        var layers = arguments.Ints("layers");
        if (layers is not { Length: > 0 })
        {
            throw new MetricsSpecException($"collector spec '{spec.Name}': 'layers' must list at least one layer index, e.g. {{\"layers\": [{FashionMnistCnn.EmbeddingLayer}]}}.");
        }
        var reshape = arguments.Read("reshape", node => node switch
        {
            JsonValue v => layers.ToDictionary(l => l, _ => EmbeddingReshapes.Parse(v.GetValue<string>())),
            JsonObject o => o.ToDictionary(kv => ParseLayer(kv.Key), kv => EmbeddingReshapes.Parse((kv.Value ?? throw new FormatException()).GetValue<string>())),
            _ => throw new FormatException(),
        }, "mean, flatten, avg_pool or an object of layer → reshape");
        var dimensions = arguments.Read("dimensions", node => node.AsObject().ToDictionary(kv => ParseLayer(kv.Key), kv => (kv.Value ?? throw new FormatException()).GetValue<int>()), "an object of layer → vector length");
        try
        {
            return new EmbeddingsCollector(layers, reshape, dimensions);
        }
        catch (ArgumentException e)
        {
            throw new MetricsSpecException($"collector spec '{spec.Name}': {e.Message}", e);
        }
    }

    private static int ParseLayer(string key) => int.Parse(key, NumberStyles.None, CultureInfo.InvariantCulture);
}
