namespace Tlc.Metrics;

/// <summary>
/// The built-in collector <c>classification</c> (<see cref="ClassificationCollector"/>). Arguments (optional):
/// <c>{"classes": ["cat", "dog"], "label_column": "label"}</c>; without classes, the label column's are used.
/// </summary>
public sealed class ClassificationCollectorFactory : ICollectorFactory
{
    /// <summary>The factory name.</summary>
    public const string FactoryName = "classification";

    /// <inheritdoc />
    public string Name => FactoryName;

    /// <inheritdoc />
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"collector spec '{spec.Name}'");
        arguments.RejectUnknown("classes", "label_column");
        var classes = arguments.Strings("classes");
        if (classes is { Length: 0 })
        {
            throw new MetricsSpecException($"collector spec '{spec.Name}': 'classes' is empty.");
        }
        return new ClassificationCollector(classes, arguments.String("label_column") ?? ClassificationCollector.DefaultLabelColumn);
    }
}
