namespace Tlc.Tables.Export;

/// <summary>Options of <see cref="Table.ExportCocoAsync"/>. <see cref="ExportOptions.Columns"/> does not apply.</summary>
public sealed class CocoExportOptions : ExportOptions
{
    /// <summary>The image column. Default: the only column with an <see cref="Schemas.ImageSchema"/>.</summary>
    public string? ImageColumn { get; init; }

    /// <summary>The boxes column. Default: the only column of schema type <c>bounding_boxes_2d</c>.</summary>
    public string? BoxesColumn { get; init; }

    /// <summary>
    /// The polygons column. Default: the only column of schema type <c>segmentation_polygons</c>, if any. Instance i of a row's
    /// polygons belongs to box i.
    /// </summary>
    public string? SegmentationColumn { get; init; }

    /// <summary>
    /// The keypoints column (<c>keypoints_2d</c>). Default: the only column of that type, if any. Instance i of a row's
    /// keypoints belongs to box i; each annotation then gets <c>keypoints</c> (<c>[x, y, v]</c> per point) and
    /// <c>num_keypoints</c>, and every category the keypoint names and (1-based) skeleton of the column's schema.
    /// </summary>
    public string? KeypointsColumn { get; init; }

    /// <summary>
    /// Write each image's absolute URL (or local path) as <c>file_name</c>. Default: false, paths relative to
    /// <see cref="ImageFolder"/> wherever the image lies on the same store.
    /// </summary>
    public bool AbsoluteImagePaths { get; init; }

    /// <summary>The folder <c>file_name</c> values are relative to. Default: the folder of the annotations file.</summary>
    public string? ImageFolder { get; init; }
}
