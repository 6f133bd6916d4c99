namespace Tlc.DataTypes;

/// <summary>How the four numbers of a 2-D box are to be read.</summary>
public enum BoxFormat
{
    /// <summary>Corners: x0, y0, x1, y1.</summary>
    Xyxy,
    /// <summary>Top-left corner and size: x, y, width, height (COCO).</summary>
    Xywh,
    /// <summary>Centre and size: cx, cy, width, height (YOLO).</summary>
    Cxcywh,
}

/// <summary>Names of <see cref="BoxFormat"/> values as stored in schema attributes.</summary>
public static class BoxFormats
{
    /// <summary>The stored name.</summary>
    public static string Name(this BoxFormat format) => format switch
    {
        BoxFormat.Xyxy => "xyxy",
        BoxFormat.Xywh => "xywh",
        BoxFormat.Cxcywh => "cxcywh",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>Parses a stored name.</summary>
    public static BoxFormat Parse(string name) => name switch
    {
        "xyxy" or "" => BoxFormat.Xyxy,
        "xywh" => BoxFormat.Xywh,
        "cxcywh" => BoxFormat.Cxcywh,
        _ => throw new FormatException($"Unknown box format '{name}' (expected xyxy, xywh or cxcywh)."),
    };
}
