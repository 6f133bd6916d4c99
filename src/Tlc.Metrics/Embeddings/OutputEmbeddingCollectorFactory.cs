using Tlc.Metrics.Collectors;

namespace Tlc.Metrics.Embeddings;

/// <summary>
/// Builds <see cref="OutputEmbeddingCollector"/>s from specs named <c>output_embeddings</c>. Arguments (all optional):
/// <c>name</c> (the column is <c>embeddings_&lt;name&gt;</c>), <c>dimensions</c>, <c>layer</c>.
/// </summary>
public sealed class OutputEmbeddingCollectorFactory : ICollectorFactory
{
    /// <summary>The spec name.</summary>
    public const string CollectorName = "output_embeddings";

    /// <inheritdoc />
    public string Name => CollectorName;

    /// <inheritdoc />
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var args = SpecArguments.Parse(spec.ArgumentsJson, $"collector '{spec.Name}'", "name", "dimensions", "layer");
        return new OutputEmbeddingCollector(args.String("name"), args.Integer("dimensions"), args.Integer("layer"));
    }
}
