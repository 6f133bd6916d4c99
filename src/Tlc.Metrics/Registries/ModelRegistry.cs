using Tlc.Tables.Urls;

namespace Tlc.Metrics;

/// <summary>
/// Turns <see cref="ModelSpec"/>s into predictors, so that any worker can build the model a job names. Kind
/// <see cref="ModelKinds.Factory"/> looks the spec's name up among the registered <see cref="IModelFactory"/>s (built in:
/// <see cref="FashionMnistCnnFactory"/>; more from plugin folders with <see cref="LoadPlugins"/>); kind
/// <see cref="ModelKinds.TorchScript"/> loads the spec's weights URL with <c>torch.jit.load</c>
/// (<see cref="TorchScriptModels"/>); kind <see cref="ModelKinds.Onnx"/> runs the model file with ONNX Runtime
/// (<see cref="Onnx.OnnxPredictor"/>). Further kinds are added with <see cref="RegisterKind"/>.
/// </summary>
public sealed class ModelRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IModelFactory> _factories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ModelSpec, ModelContext, IPredictor>> _kinds = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry holding the built-in factories and kinds.</summary>
    public ModelRegistry() => Reset();

    /// <summary>The process-wide registry.</summary>
    public static ModelRegistry Default { get; } = new();

    /// <summary>The registered factory names, sorted.</summary>
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

    /// <summary>The model kinds this registry builds, sorted.</summary>
    public IReadOnlyList<string> Kinds
    {
        get
        {
            lock (_gate)
            {
                return [.. _kinds.Keys.Order(StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Registers <paramref name="factory"/> under its name, replacing one of the same name.</summary>
    public void Register(IModelFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        ArgumentException.ThrowIfNullOrEmpty(factory.Name, nameof(factory));
        lock (_gate)
        {
            _factories[factory.Name] = factory;
        }
    }

    /// <summary>Registers how specs of <paramref name="kind"/> become predictors (e.g. an ONNX Runtime backend), replacing an earlier one.</summary>
    public void RegisterKind(string kind, Func<ModelSpec, ModelContext, IPredictor> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        ArgumentNullException.ThrowIfNull(create);
        lock (_gate)
        {
            _kinds[kind] = create;
        }
    }

    /// <summary>Back to the built-ins only (for tests).</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _factories.Clear();
            _kinds.Clear();
            var builtIn = new FashionMnistCnnFactory();
            _factories[builtIn.Name] = builtIn;
            _kinds[ModelKinds.Factory] = CreateFromFactory;
            _kinds[ModelKinds.TorchScript] = TorchScriptModels.CreatePredictor;
            _kinds[ModelKinds.Onnx] = Onnx.OnnxPredictor.Create;
        }
    }

    /// <summary>The factory registered as <paramref name="name"/>.</summary>
    /// <exception cref="MetricsSpecException">
    /// No factory has that name (the message lists those that do), or the name is an assembly path: assemblies load only
    /// from plugin folders.
    /// </exception>
    public IModelFactory Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        PluginLoadContext.RefuseAssemblyPath(name, "model factory");
        lock (_gate)
        {
            return _factories.TryGetValue(name, out var factory)
                ? factory
                : throw new MetricsSpecException($"No model factory is registered as '{name}'. Registered: {string.Join(", ", _factories.Keys.Order(StringComparer.Ordinal))}.");
        }
    }

    /// <summary>
    /// Loads every *.dll of <paramref name="folder"/> (see <see cref="PluginLoadContext"/>) and registers each public,
    /// concrete <see cref="IModelFactory"/> with a parameterless constructor. Returns the names registered.
    /// </summary>
    public IReadOnlyList<string> LoadPlugins(string folder)
    {
        var names = new List<string>();
        foreach (var type in PluginLoadContext.Implementations<IModelFactory>(PluginLoadContext.LoadFolder(folder)))
        {
            var factory = (IModelFactory)Activator.CreateInstance(type)!;
            Register(factory);
            names.Add(factory.Name);
        }
        return names;
    }

    /// <summary>Builds the predictor of <paramref name="spec"/>, capturing <see cref="ModelContext.Layers"/>.</summary>
    /// <exception cref="MetricsSpecException">Unknown kind or name, bad arguments, unreadable or unfitting weights: the message names the spec and the file.</exception>
    public IPredictor CreatePredictor(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        Func<ModelSpec, ModelContext, IPredictor>? create;
        lock (_gate)
        {
            _kinds.TryGetValue(spec.Kind ?? "", out create);
        }
        if (create is null)
        {
            throw new MetricsSpecException($"Model spec {Describe(spec)}: unknown kind '{spec.Kind}'. Known kinds: {string.Join(", ", Kinds)}.");
        }
        try
        {
            return create(spec, context);
        }
        catch (Exception e) when (e is not MetricsSpecException and not OutOfMemoryException)
        {
            throw new MetricsSpecException($"Model spec {Describe(spec)}: {e.Message}", e);
        }
    }

    /// <summary>Builds the predictor of <paramref name="spec"/> with the default URL adapters.</summary>
    public IPredictor CreatePredictor(ModelSpec spec, IReadOnlyList<int>? layers = null) =>
        CreatePredictor(spec, new ModelContext(UrlAdapterRegistry.Default, layers ?? []));

    /// <summary>A spec for messages: <c>factory 'fashion-mnist-cnn' (weights file:///…/cnn.dat)</c>.</summary>
    public static string Describe(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"{spec.Kind} '{spec.Name}'{(string.IsNullOrEmpty(spec.WeightsUrl) ? "" : $" (weights {spec.WeightsUrl})")}";
    }

    private IPredictor CreateFromFactory(ModelSpec spec, ModelContext context) => Get(spec.Name).Create(spec, context);
}
