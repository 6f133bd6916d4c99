namespace Tlc.Tables.Export;

/// <summary>How a YOLO export places the image files in its <c>images/</c> folder.</summary>
public enum YoloImageMode
{
    /// <summary>Copy each image (works across stores). The default.</summary>
    Copy,
    /// <summary>Symbolic links to the original files (local files only).</summary>
    Link,
}

/// <summary>Options of <see cref="Table.ExportYoloAsync"/>. <see cref="ExportOptions.Columns"/> does not apply.</summary>
public sealed class YoloExportOptions : ExportOptions
{
    /// <summary>The image column. Default: the only column with an <see cref="Schemas.ImageSchema"/>.</summary>
    public string? ImageColumn { get; init; }

    /// <summary>
    /// The boxes column. Default: the only column of schema type <c>bounding_boxes_2d</c> (detect) or
    /// <c>oriented_bounding_boxes_2d</c> (obb).
    /// </summary>
    public string? BoxesColumn { get; init; }

    /// <summary>
    /// What the label files hold: <see cref="Import.YoloTask.Detect"/> (<c>class cx cy w h</c> from a <c>bounding_boxes_2d</c>
    /// column) or <see cref="Import.YoloTask.Obb"/> (<c>class x1 y1 x2 y2 x3 y3 x4 y4</c>, the corners of an
    /// <c>oriented_bounding_boxes_2d</c> column). Default: null, detect when the table has a <c>bounding_boxes_2d</c> column
    /// (or <see cref="BoxesColumn"/> names one), else obb when it has an <c>oriented_bounding_boxes_2d</c> column. Segment
    /// and pose are not exported.
    /// </summary>
    public Import.YoloTask? Task { get; init; }

    /// <summary>Copy or link the images. Default: <see cref="YoloImageMode.Copy"/>.</summary>
    public YoloImageMode Images { get; init; } = YoloImageMode.Copy;
}
