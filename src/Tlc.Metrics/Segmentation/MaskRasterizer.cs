using System.Runtime.InteropServices;
using SkiaSharp;
using Tlc.DataTypes;

namespace Tlc.Metrics.Segmentation;

/// <summary>
/// Turns instance annotations into pixel masks with SkiaSharp: polygons are filled as paths into an 8-bit alpha bitmap
/// without anti-aliasing, so a pixel is inside when its centre is (Skia's fill rule; coordinates are pixels, the image's
/// top-left corner at 0, 0). The polygons of one instance are unioned (each filled on its own, as pycocotools does).
/// </summary>
public static class MaskRasterizer
{
    /// <summary>The binary mask (1 = inside, row-major) of the union of <paramref name="polygons"/> (each x0, y0, x1, y1, ...).</summary>
    public static byte[] Rasterize(IEnumerable<IReadOnlyList<float>> polygons, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Alpha8, SKAlphaType.Premul));
        bitmap.Erase(SKColors.Transparent);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint { IsAntialias = false, Style = SKPaintStyle.Fill, Color = SKColors.Black, BlendMode = SKBlendMode.Src })
        {
            foreach (var polygon in polygons)
            {
                if (polygon.Count % 2 != 0)
                {
                    throw new FormatException($"A polygon has {polygon.Count} numbers; it needs x, y pairs.");
                }
                if (polygon.Count < 6)
                {
                    continue; // fewer than three points cover no area
                }
                using var builder = new SKPathBuilder { FillType = SKPathFillType.Winding };
                builder.MoveTo(polygon[0], polygon[1]);
                for (var i = 2; i < polygon.Count; i += 2)
                {
                    builder.LineTo(polygon[i], polygon[i + 1]);
                }
                builder.Close();
                using var path = builder.Detach();
                canvas.DrawPath(path, paint);
            }
            canvas.Flush();
        }
        var mask = new byte[width * height];
        var rowBytes = bitmap.RowBytes;
        var pixels = bitmap.GetPixels();
        for (var y = 0; y < height; y++)
        {
            Marshal.Copy(pixels + (y * rowBytes), mask, y * width, width);
        }
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = mask[i] != 0 ? (byte)1 : (byte)0;
        }
        return mask;
    }

    /// <summary>
    /// The class mask of polygon instances: pixels start as <paramref name="background"/> (<see cref="ClassMask.Ignore"/> when
    /// null) and each instance, in order, paints its label over them.
    /// </summary>
    public static ClassMask ToClassMask(SegmentationPolygons polygons, int? background)
    {
        ArgumentNullException.ThrowIfNull(polygons);
        var (width, height) = Size(polygons.ImageWidth, polygons.ImageHeight);
        var mask = ClassMask.Filled(width, height, background ?? ClassMask.Ignore);
        foreach (var instance in polygons.Instances)
        {
            mask.Paint(Rasterize(instance.Polygons, width, height), instance.Label);
        }
        return mask;
    }

    /// <summary>
    /// The class mask of run-length encoded instances: pixels start as <paramref name="background"/>
    /// (<see cref="ClassMask.Ignore"/> when null) and each instance, in order, paints its label over them.
    /// </summary>
    public static ClassMask ToClassMask(SegmentationMasks masks, int? background)
    {
        ArgumentNullException.ThrowIfNull(masks);
        var mask = ClassMask.Filled(masks.ImageWidth, masks.ImageHeight, background ?? ClassMask.Ignore);
        foreach (var instance in masks.Instances)
        {
            mask.Paint(Rle.Decode(instance.Counts, masks.ImageWidth, masks.ImageHeight), instance.Label);
        }
        return mask;
    }

    /// <summary>The run-length encoded masks of every class present in <paramref name="mask"/> except <paramref name="skip"/>.</summary>
    public static SegmentationMasks ToSegmentationMasks(ClassMask mask, int? skip)
    {
        ArgumentNullException.ThrowIfNull(mask);
        var instances = mask.Present().Where(l => l != skip)
            .Select(l => new MaskInstance(Rle.Encode(mask.Binary(l), mask.Width, mask.Height), l)).ToList();
        return new SegmentationMasks(mask.Width, mask.Height, instances);
    }

    private static (int Width, int Height) Size(float width, float height)
    {
        var w = (int)MathF.Round(width);
        var h = (int)MathF.Round(height);
        if (w <= 0 || h <= 0 || !float.IsFinite(width) || !float.IsFinite(height))
        {
            throw new FormatException($"Polygons over a {width}×{height} image cannot be rasterised.");
        }
        return (w, h);
    }
}
