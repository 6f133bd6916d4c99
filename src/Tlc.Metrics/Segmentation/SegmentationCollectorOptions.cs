using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Metrics.Segmentation;

/// <summary>Settings of a <see cref="SegmentationCollector"/>.</summary>
public sealed record SegmentationCollectorOptions
{
    /// <summary>
    /// The classes (3LC's <c>label_map</c>): value i is channel i of the model's logits. Default: the value map of the
    /// ground-truth column.
    /// </summary>
    public ValueMap? LabelMap { get; init; }

    /// <summary>
    /// The ground-truth columns. Default: the first <see cref="SemanticSegmentationSchema"/> column; else every
    /// <c>segmentation_polygons</c> and <c>segmentation_masks</c> column (a COCO import keeps polygons and RLE apart), painted
    /// in column order. A plain image column named here is read as a class-id mask too.
    /// </summary>
    public IReadOnlyList<string>? TruthColumns { get; init; }

    /// <summary>
    /// The background class: instance annotations paint over it, and <c>predicted_mask</c> leaves it out (a pixel no stored
    /// instance covers is background). Null: pixels no truth instance covers are ignored, and every predicted class is stored.
    /// Default 0.
    /// </summary>
    public int? BackgroundClass { get; init; } = 0;

    /// <summary>The value of mask-image pixels that count for nothing (VOC's boundary value). Null: none. Default 255.</summary>
    public int? IgnoreValue { get; init; } = 255;

    /// <summary>The name of the predicted mask column. Default <c>predicted_mask</c>.</summary>
    public string PredictedMaskColumn { get; init; } = "predicted_mask";

    /// <summary>The URL adapters that read mask images stored as URLs. Default: <see cref="UrlAdapterRegistry.Default"/>.</summary>
    public UrlAdapterRegistry? Adapters { get; init; }
}
