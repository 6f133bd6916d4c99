namespace Tlc.Metrics;

/// <summary>
/// Builds a predictor from a <see cref="ModelSpec"/> of kind <see cref="ModelKinds.Factory"/>: a named model with its
/// preprocessing, loading the spec's weights. Plugins provide factories (public, parameterless constructor).
/// </summary>
public interface IModelFactory
{
    /// <summary>The name specs refer to.</summary>
    string Name { get; }

    /// <summary>Builds the predictor for <paramref name="spec"/>.</summary>
    IPredictor Create(ModelSpec spec, ModelContext context);
}

/// <summary>Builds collectors from <see cref="CollectorSpec"/>s. Plugins provide factories (public, parameterless constructor).</summary>
public interface ICollectorFactory
{
    /// <summary>The name specs refer to.</summary>
    string Name { get; }

    /// <summary>Builds the collector for <paramref name="spec"/>.</summary>
    IMetricsCollector Create(CollectorSpec spec);
}

/// <summary>What a model factory may use: the URL adapters to read weights through, and the layers to capture.</summary>
/// <param name="Adapters">The URL adapters.</param>
/// <param name="Layers">Layer indices whose activations the predictor must capture (from the collectors).</param>
public sealed record ModelContext(Tlc.Tables.Urls.UrlAdapterRegistry Adapters, IReadOnlyList<int> Layers)
{
    /// <summary>The context for a predictor feeding <paramref name="collectors"/>: the layers they read, sorted, each once.</summary>
    public static ModelContext For(IEnumerable<IMetricsCollector> collectors, Tlc.Tables.Urls.UrlAdapterRegistry? adapters = null)
    {
        ArgumentNullException.ThrowIfNull(collectors);
        return new ModelContext(adapters ?? Tlc.Tables.Urls.UrlAdapterRegistry.Default, collectors.SelectMany(c => c.Layers).Distinct().Order().ToArray());
    }
}
