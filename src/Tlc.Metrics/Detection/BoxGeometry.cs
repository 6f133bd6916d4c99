using Tlc.DataTypes;

namespace Tlc.Metrics.Detection;

/// <summary>Box conversions and overlap, on corner boxes (x0, y0, x1, y1) in continuous pixel coordinates.</summary>
public static class BoxGeometry
{
    /// <summary>
    /// The box as corners in pixels: read by <paramref name="format"/>, scaled by the image size when
    /// <paramref name="normalized"/>. Label, confidence and crowd flag are kept.
    /// </summary>
    public static BoundingBox2D ToXyxyPixels(BoundingBox2D box, BoxFormat format, bool normalized, float imageWidth, float imageHeight)
    {
        ArgumentNullException.ThrowIfNull(box);
        var (x0, y0, x1, y1) = format switch
        {
            BoxFormat.Xyxy => (box.X0, box.Y0, box.X1, box.Y1),
            BoxFormat.Xywh => (box.X0, box.Y0, box.X0 + box.X1, box.Y0 + box.Y1),
            BoxFormat.Cxcywh => (box.X0 - (box.X1 / 2), box.Y0 - (box.Y1 / 2), box.X0 + (box.X1 / 2), box.Y0 + (box.Y1 / 2)),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
        if (normalized)
        {
            (x0, y0, x1, y1) = (x0 * imageWidth, y0 * imageHeight, x1 * imageWidth, y1 * imageHeight);
        }
        return box with { X0 = x0, Y0 = y0, X1 = x1, Y1 = y1 };
    }

    /// <summary>The area of a corner box (0 when it is empty or inverted).</summary>
    public static double Area(BoundingBox2D box)
    {
        ArgumentNullException.ThrowIfNull(box);
        return Math.Max(0, (double)box.X1 - box.X0) * Math.Max(0, (double)box.Y1 - box.Y0);
    }

    /// <summary>The intersection over union of two corner boxes; 0 when their union is empty.</summary>
    public static double IoU(BoundingBox2D a, BoundingBox2D b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var w = Math.Min((double)a.X1, b.X1) - Math.Max((double)a.X0, b.X0);
        var h = Math.Min((double)a.Y1, b.Y1) - Math.Max((double)a.Y0, b.Y0);
        var inter = w > 0 && h > 0 ? w * h : 0;
        var union = Area(a) + Area(b) - inter;
        return union > 0 ? inter / union : 0;
    }
}
