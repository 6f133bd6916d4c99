using Tlc.Metrics.Collectors;

namespace Tlc.Metrics.Detection;

/// <summary>
/// Builds <see cref="BoundingBoxCollector"/>s from specs named <c>bounding_box</c>. Arguments (all optional): <c>classes</c>
/// (a list of class names, or an object <c>{"1": "person", ...}</c>), <c>iou_threshold</c> (default 0.5), <c>truth_column</c>,
/// <c>coordinates</c> (<c>pixels</c> or <c>normalized</c>), <c>score_threshold</c> (default 0), <c>predicted_column</c>.
/// </summary>
public sealed class BoundingBoxCollectorFactory : ICollectorFactory
{
    /// <summary>The spec name.</summary>
    public const string CollectorName = "bounding_box";

    /// <inheritdoc />
    public string Name => CollectorName;

    /// <inheritdoc />
    public IMetricsCollector Create(CollectorSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var what = $"collector '{spec.Name}'";
        var args = SpecArguments.Parse(spec.ArgumentsJson, what,
            "classes", "iou_threshold", "truth_column", "coordinates", "score_threshold", "predicted_column");
        var coordinates = args.String("coordinates") switch
        {
            null or "pixels" => DetectionCoordinates.Pixels,
            "normalized" => DetectionCoordinates.Normalized,
            var other => throw new ArgumentException($"{what}: argument 'coordinates' must be \"pixels\" or \"normalized\", got \"{other}\"."),
        };
        var defaults = new BoundingBoxCollectorOptions();
        return new BoundingBoxCollector(args.Classes("classes"), args.Number("iou_threshold") ?? 0.5, new BoundingBoxCollectorOptions
        {
            TruthColumn = args.String("truth_column"),
            Coordinates = coordinates,
            ScoreThreshold = (float)(args.Number("score_threshold") ?? 0),
            PredictedColumn = args.String("predicted_column") ?? defaults.PredictedColumn,
        });
    }
}
