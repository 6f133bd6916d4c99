using System.Runtime.InteropServices;
using SkiaSharp;

namespace Tlc.Tables.Samples;

/// <summary>The pixel layout of an <see cref="ImageSample"/>.</summary>
public enum ImageColorType
{
    /// <summary>One byte per pixel (grayscale, or class ids of a mask).</summary>
    Gray8,
    /// <summary>Four bytes per pixel: red, green, blue, alpha (not premultiplied).</summary>
    Rgba8888,
}

/// <summary>The file formats an <see cref="ImageSample"/> encodes to.</summary>
public enum ImageEncoding
{
    /// <summary>PNG (lossless).</summary>
    Png,
    /// <summary>JPEG.</summary>
    Jpeg,
    /// <summary>WebP.</summary>
    Webp,
}

/// <summary>
/// A decoded image: what <c>table[i]</c> returns for image columns. Pixels are row-major, <see cref="ImageColorType.Gray8"/> for
/// single-channel images (grayscale photos and masks), else RGBA.
/// </summary>
public sealed class ImageSample
{
    /// <summary>Creates an image over <paramref name="pixels"/> (not copied).</summary>
    public ImageSample(int width, int height, ImageColorType colorType, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(pixels);
        var channels = colorType == ImageColorType.Gray8 ? 1 : 4;
        if (pixels.Length != (long)width * height * channels)
        {
            throw new ArgumentException($"A {width}×{height} {colorType} image needs {(long)width * height * channels} bytes, got {pixels.Length}.", nameof(pixels));
        }
        Width = width;
        Height = height;
        ColorType = colorType;
        Pixels = pixels;
    }

    /// <summary>The width in pixels.</summary>
    public int Width { get; }

    /// <summary>The height in pixels.</summary>
    public int Height { get; }

    /// <summary>The pixel layout.</summary>
    public ImageColorType ColorType { get; }

    /// <summary>Bytes per pixel: 1 or 4.</summary>
    public int Channels => ColorType == ImageColorType.Gray8 ? 1 : 4;

    /// <summary>The pixels, row-major.</summary>
    public byte[] Pixels { get; }

    /// <summary>Decodes a PNG, JPEG, WebP, GIF or BMP file's bytes.</summary>
    /// <exception cref="FormatException">The bytes are not an image SkiaSharp can decode.</exception>
    public static ImageSample Decode(ReadOnlySpan<byte> encoded, string? where = null)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new FormatException($"{where ?? "image"}: not a decodable image ({encoded.Length} bytes).");
        var info = codec.Info;
        var gray = info.ColorType == SKColorType.Gray8;
        var target = new SKImageInfo(info.Width, info.Height, gray ? SKColorType.Gray8 : SKColorType.Rgba8888,
            gray ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var pixels = new byte[target.BytesSize64];
        var handle = GCHandle.Alloc(pixels, GCHandleType.Pinned);
        try
        {
            var result = codec.GetPixels(target, handle.AddrOfPinnedObject());
            if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            {
                throw new FormatException($"{where ?? "image"}: decoding failed ({result}).");
            }
        }
        finally
        {
            handle.Free();
        }
        return new ImageSample(info.Width, info.Height, gray ? ImageColorType.Gray8 : ImageColorType.Rgba8888, pixels);
    }

    /// <summary>Reads only the header of an encoded image: its width and height.</summary>
    public static (int Width, int Height) ReadSize(ReadOnlySpan<byte> encoded, string? where = null)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new FormatException($"{where ?? "image"}: not a decodable image.");
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>Encodes the image.</summary>
    public byte[] Encode(ImageEncoding encoding = ImageEncoding.Png, int quality = 90)
    {
        using var bitmap = ToSKBitmap();
        using var image = SKImage.FromBitmap(bitmap);
        var format = encoding switch
        {
            ImageEncoding.Png => SKEncodedImageFormat.Png,
            ImageEncoding.Jpeg => SKEncodedImageFormat.Jpeg,
            ImageEncoding.Webp => SKEncodedImageFormat.Webp,
            _ => throw new ArgumentOutOfRangeException(nameof(encoding)),
        };
        using var encoded = image.Encode(format, quality) ?? throw new InvalidOperationException($"SkiaSharp could not encode {encoding}.");
        return encoded.ToArray();
    }

    /// <summary>
    /// The image scaled down (never up) to fit a <paramref name="maxSide"/> × <paramref name="maxSide"/> box, keeping its
    /// aspect ratio (a thumbnail); itself when it fits already.
    /// </summary>
    public ImageSample Thumbnail(int maxSide)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        if (Width <= maxSide && Height <= maxSide)
        {
            return this;
        }
        var scale = (double)maxSide / Math.Max(Width, Height);
        var width = Math.Max(1, (int)Math.Round(Width * scale));
        var height = Math.Max(1, (int)Math.Round(Height * scale));
        using var source = ToSKBitmap();
        using var scaled = source.Resize(new SKImageInfo(width, height, source.ColorType, source.AlphaType), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear))
            ?? throw new InvalidOperationException($"SkiaSharp could not scale a {Width}x{Height} image to {width}x{height}.");
        var rowBytes = width * Channels;
        var pixels = new byte[rowBytes * height];
        for (var y = 0; y < height; y++)
        {
            Marshal.Copy(scaled.GetPixels() + (y * scaled.RowBytes), pixels, y * rowBytes, rowBytes);
        }
        return new ImageSample(width, height, ColorType, pixels);
    }

    /// <summary>Copies the image into a new SkiaSharp bitmap (the caller disposes it).</summary>
    public SKBitmap ToSKBitmap()
    {
        var info = new SKImageInfo(Width, Height, ColorType == ImageColorType.Gray8 ? SKColorType.Gray8 : SKColorType.Rgba8888,
            ColorType == ImageColorType.Gray8 ? SKAlphaType.Opaque : SKAlphaType.Unpremul);
        var bitmap = new SKBitmap(info);
        Marshal.Copy(Pixels, 0, bitmap.GetPixels(), Pixels.Length);
        return bitmap;
    }

    /// <summary>The pixel at (x, y): its gray value, or the mean of red, green and blue.</summary>
    public byte GetGray(int x, int y)
    {
        if (ColorType == ImageColorType.Gray8)
        {
            return Pixels[(y * Width) + x];
        }
        var i = ((y * Width) + x) * 4;
        return (byte)((Pixels[i] + Pixels[i + 1] + Pixels[i + 2]) / 3);
    }
}
