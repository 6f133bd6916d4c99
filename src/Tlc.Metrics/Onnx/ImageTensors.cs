using System.Runtime.InteropServices;
using SkiaSharp;
using Tlc.DataTypes;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;

namespace Tlc.Metrics.Onnx;

/// <summary>
/// Image → model input: resizes with SkiaSharp (bilinear, the whole image stretched to the target size), then writes each
/// channel value as <c>(pixel × scale − mean[c]) / std[c]</c> in the configured channel order and layout.
/// </summary>
public static class ImageTensors
{
    /// <summary>
    /// The values of one image as a float array of <paramref name="channels"/> × <paramref name="height"/> ×
    /// <paramref name="width"/> (NCHW) or height × width × channels (NHWC). One channel: the gray value (mean of red, green,
    /// blue for colour images); three: colour (gray images repeat their value).
    /// </summary>
    public static float[] ToValues(ImageSample image, int width, int height, int channels, OnnxPredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(options);
        if (channels is not (1 or 3))
        {
            throw new ArgumentException($"Images become 1 or 3 channels; the model asks for {channels}.", nameof(channels));
        }
        var rgba = Resize(image, width, height);
        var plane = width * height;
        var values = new float[plane * channels];
        var scale = options.PixelScale;
        for (var p = 0; p < plane; p++)
        {
            var o = p * 4;
            for (var c = 0; c < channels; c++)
            {
                float pixel;
                if (channels == 1)
                {
                    pixel = (rgba[o] + rgba[o + 1] + rgba[o + 2]) / 3f;
                }
                else
                {
                    var source = options.ChannelOrder == ChannelOrder.Rgb ? c : 2 - c;
                    pixel = rgba[o + source];
                }
                var mean = options.Mean[options.Mean.Count == 1 ? 0 : c];
                var std = options.Std[options.Std.Count == 1 ? 0 : c];
                var v = ((pixel * scale) - mean) / std;
                values[options.Layout == TensorLayout.Nchw ? (c * plane) + p : (p * channels) + c] = v;
            }
        }
        return values;
    }

    /// <summary>Reads an image from a sample value: a decoded image, encoded bytes, a SkiaSharp bitmap or a URL (through <paramref name="adapters"/>).</summary>
    public static ImageSample Read(object? value, UrlAdapterRegistry adapters, string what)
    {
        ArgumentNullException.ThrowIfNull(adapters);
        switch (value)
        {
            case ImageSample image:
                return image;
            case byte[] bytes:
                return ImageSample.Decode(bytes, what);
            case SKBitmap bitmap:
                using (var skImage = SKImage.FromBitmap(bitmap))
                using (var data = skImage.Encode(SKEncodedImageFormat.Png, 100))
                {
                    return ImageSample.Decode(data.ToArray(), what);
                }
            case string or Url:
                var url = adapters.Expand(value is Url u ? u : new Url((string)value));
                using (var stream = adapters.OpenRead(url))
                using (var copy = new MemoryStream())
                {
                    stream.CopyTo(copy);
                    return ImageSample.Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length), url.Value);
                }
            default:
                throw new FormatException($"{what}: expected an image (decoded, encoded bytes or a URL), got {RowValues.Describe(value)}.");
        }
    }

    /// <summary>The image resized to <paramref name="width"/> × <paramref name="height"/> as RGBA bytes (row-major).</summary>
    private static byte[] Resize(ImageSample image, int width, int height)
    {
        var rgba = image.ColorType == ImageColorType.Rgba8888 ? image : ToRgba(image);
        if (width == rgba.Width && height == rgba.Height)
        {
            return rgba.Pixels;
        }
        using var source = rgba.ToSKBitmap();
        using var resized = source.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul),
                new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None))
            ?? throw new InvalidOperationException($"SkiaSharp could not resize a {image.Width}×{image.Height} image to {width}×{height}.");
        var bytes = new byte[width * height * 4];
        var rowBytes = resized.RowBytes;
        var pixels = resized.GetPixels();
        for (var y = 0; y < height; y++)
        {
            Marshal.Copy(pixels + (y * rowBytes), bytes, y * width * 4, width * 4);
        }
        return bytes;
    }

    private static ImageSample ToRgba(ImageSample gray)
    {
        var pixels = new byte[gray.Width * gray.Height * 4];
        for (var i = 0; i < gray.Pixels.Length; i++)
        {
            var v = gray.Pixels[i];
            pixels[i * 4] = v;
            pixels[(i * 4) + 1] = v;
            pixels[(i * 4) + 2] = v;
            pixels[(i * 4) + 3] = 255;
        }
        return new ImageSample(gray.Width, gray.Height, ImageColorType.Rgba8888, pixels);
    }
}
