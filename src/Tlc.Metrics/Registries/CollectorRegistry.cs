namespace Tlc.Metrics;

/// <summary>
/// Turns <see cref="CollectorSpec"/>s into collectors by name: built in <c>classification</c>
/// (<see cref="ClassificationCollectorFactory"/>), <c>embeddings</c> (<see cref="EmbeddingsCollectorFactory"/>), <c>segmentation</c>,
/// <c>bounding_box</c> and <c>output_embeddings</c>; custom
/// collectors by <see cref="Register"/> or from plugin folders with <see cref="LoadPlugins"/>.
/// </summary>
public sealed class CollectorRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ICollectorFactory> _factories = new(StringComparer.Ordinal);

    /// <summary>A registry holding the built-in factories.</summary>
    public CollectorRegistry() => Reset();

    /// <summary>The process-wide registry.</summary>
    public static CollectorRegistry Default { get; } = new();

    /// <summary>The registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_gate)
            {
                return [.. _factories.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Registers <paramref name="factory"/> under its name, replacing one of the same name.</summary>
    public void Register(ICollectorFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrEmpty(factory.Name, nameof(factory));
        lock (_gate)
        {
            _factories[factory.Name] = factory;
        }
    }

    /// <summary>Back to the built-ins only (for tests).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _factories.Clear();
            foreach (ICollectorFactory factory in new ICollectorFactory[]
            {
                new ClassificationCollectorFactory(), new EmbeddingsCollectorFactory(), new Segmentation.SegmentationCollectorFactory(),
                new Detection.BoundingBoxCollectorFactory(), new Embeddings.OutputEmbeddingCollectorFactory(),
            })
            {
                _factories[factory.Name] = factory;
            }
        }
    }

    /// <summary>The factory registered as <paramref name="name"/>.</summary>
    /// <exception cref="MetricsSpecException">
    /// No factory has that name (the message lists those that do), or the name is an assembly path: assemblies load only
    /// from plugin folders.
    /// </exception>
    public ICollectorFactory Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginLoadContext.RefuseAssemblyPath(name, "metrics collector");
        lock (_gate)
        {
            return _factories.TryGetValue(name, out var factory)
                ? factory
                : throw new MetricsSpecException($"No metrics collector is registered as '{name}'. Registered: {string.Join(", ", _factories.Keys.Order(StringComparer.Ordinal))}.");
        }
    }

    /// <summary>The collector of <paramref name="spec"/>.</summary>
    /// <exception cref="MetricsSpecException">Unknown name or bad arguments (the message names the spec).</exception>
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var factory = Get(spec.Name);
        try
        {
            return factory.Create(spec);
        }
        catch (Exception e) when (e is not MetricsSpecException and not OutOfMemoryException)
        {
            throw new MetricsSpecException($"collector spec '{spec.Name}'{(spec.ArgumentsJson is null ? "" : $" {spec.ArgumentsJson}")}: {e.Message}", e);
        }
    }

    /// <summary>The collectors of <paramref name="specs"/>, in order.</summary>
    public IReadOnlyList<IMetricsCollector> Create(IEnumerable<CollectorSpec> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        return [.. specs.Select(Create)];
    }

    /// <summary>
    /// Loads every *.dll of <paramref name="folder"/> (see <see cref="ModelRegistry.LoadPlugins"/>) and registers each
    /// public, concrete <see cref="ICollectorFactory"/> with a parameterless constructor. Returns the names registered.
    /// </summary>
    public IReadOnlyList<string> LoadPlugins(string folder)
    {
        var names = new List<string>();
        foreach (var type in PluginLoadContext.Implementations<ICollectorFactory>(PluginLoadContext.LoadFolder(folder)))
        {
            var factory = (ICollectorFactory)Activator.CreateInstance(type)!;
            Register(factory);
            names.Add(factory.Name);
        }
        return names;
    }
}
