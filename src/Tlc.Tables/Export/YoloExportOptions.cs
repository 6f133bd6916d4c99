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

    /// <summary>The boxes column. Default: the only column of schema type <c>bounding_boxes_2d</c>.</summary>
    public string? BoxesColumn { get; init; }

    /// <summary>Copy or link the images. Default: <see cref="YoloImageMode.Copy"/>.</summary>
    public YoloImageMode Images { get; init; } = YoloImageMode.Copy;
}
