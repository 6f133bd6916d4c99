using Tlc.Metrics.Collectors;

namespace Tlc.Metrics.Segmentation;

/// <summary>
/// Builds <see cref="SegmentationCollector"/>s from specs named <c>segmentation</c>. Arguments (all optional):
/// <c>label_map</c> (a list of class names, or an object <c>{"0": "background", ...}</c>), <c>truth_column</c> (a name or a list),
/// <c>background_class</c> (an integer, or null for none; default 0), <c>ignore_value</c> (an integer or null; default 255),
/// <c>predicted_mask_column</c>.
/// </summary>
public sealed class SegmentationCollectorFactory : ICollectorFactory
{
    /// <summary>The spec name.</summary>
    public const string CollectorName = "segmentation";

    /// <inheritdoc />
    public string Name => CollectorName;

    /// <inheritdoc />
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var args = SpecArguments.Parse(spec.ArgumentsJson, $"collector '{spec.Name}'",
            "label_map", "truth_column", "background_class", "ignore_value", "predicted_mask_column");
        var defaults = new SegmentationCollectorOptions();
        return new SegmentationCollector(args.Classes("label_map"), new SegmentationCollectorOptions
        {
            TruthColumns = args.Strings("truth_column"),
            BackgroundClass = args.Has("background_class") ? args.Integer("background_class") : defaults.BackgroundClass,
            IgnoreValue = args.Has("ignore_value") ? args.Integer("ignore_value") : defaults.IgnoreValue,
            PredictedMaskColumn = args.String("predicted_mask_column") ?? defaults.PredictedMaskColumn,
        });
    }
}
