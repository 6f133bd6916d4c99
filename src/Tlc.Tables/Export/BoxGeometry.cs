using Tlc.DataTypes;

namespace Tlc.Tables.Export;

/// <summary>A box in pixels: top-left corner and size (COCO's <c>bbox</c>).</summary>
internal readonly record struct PixelBox(double X, double Y, double Width, double Height)
{
    /// <summary>Reads a stored box of <paramref name="format"/>, scaling normalised values by the image size.</summary>
    public static PixelBox From(BoundingBox2D box, BoxFormat format, bool normalized, double imageWidth, double imageHeight)
    {
        double a = box.X0, b = box.Y0, c = box.X1, d = box.Y1;
        if (normalized)
        {
            a *= imageWidth;
            c *= imageWidth;
            b *= imageHeight;
            d *= imageHeight;
        }
        return format switch
        {
            BoxFormat.Xyxy => new PixelBox(a, b, c - a, d - b),
            BoxFormat.Xywh => new PixelBox(a, b, c, d),
            BoxFormat.Cxcywh => new PixelBox(a - (c / 2), b - (d / 2), c, d),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
        };
    }

    /// <summary>YOLO's normalised centre and size.</summary>
    public (double Cx, double Cy, double W, double H) ToNormalizedCenter(double imageWidth, double imageHeight) =>
        ((X + (Width / 2)) / imageWidth, (Y + (Height / 2)) / imageHeight, Width / imageWidth, Height / imageHeight);
}
