using Tlc.Tables;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>Turns decoded images into model input: float tensors [C, H, W] scaled to [0, 1], optionally normalised per channel.</summary>
public static class ImagePreprocessing
{
    /// <summary>The column samples are read from unless told otherwise.</summary>
    public const string DefaultColumn = "image";

    /// <summary>
    /// The image as a float32 tensor [C, H, W] with values in [0, 1] (byte / 255), then <c>(x - mean[c]) / std[c]</c> when
    /// <paramref name="mean"/> and <paramref name="std"/> are given. <paramref name="channels"/>: 1 (gray; colour is
    /// averaged), 3 (RGB; gray is repeated), 4 (RGBA) or 0 for the image's own (1 for gray, 3 for colour).
    /// </summary>
    public static Tensor ToTensor(ImageSample image, int channels = 0, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (channels == 0)
        {
            channels = image.ColorType == ImageColorType.Gray8 ? 1 : 3;
        }
        if (channels is not (1 or 3 or 4))
        {
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "Channels must be 0, 1, 3 or 4.");
        }
        if ((mean is null) != (std is null) || (mean is not null && (mean.Count != channels || std!.Count != channels)))
        {
            throw new ArgumentException($"Normalisation needs a mean and a std of {channels} value(s) each.", nameof(mean));
        }
        var plane = image.Width * image.Height;
        var data = new float[channels * plane];
        var pixels = image.Pixels;
        if (image.ColorType == ImageColorType.Gray8)
        {
            for (var i = 0; i < plane; i++)
            {
                var v = pixels[i] / 255f;
                for (var c = 0; c < channels; c++)
                {
                    data[(c * plane) + i] = c == 3 ? 1f : v;
                }
            }
        }
        else
        {
            for (var i = 0; i < plane; i++)
            {
                if (channels == 1)
                {
                    data[i] = ((pixels[i * 4] + pixels[(i * 4) + 1] + pixels[(i * 4) + 2]) / 3) / 255f;
                    continue;
                }
                for (var c = 0; c < channels; c++)
                {
                    data[(c * plane) + i] = pixels[(i * 4) + c] / 255f;
                }
            }
        }
        if (mean is not null)
        {
            for (var c = 0; c < channels; c++)
            {
                var m = mean[c];
                var s = std![c];
                for (var i = c * plane; i < (c + 1) * plane; i++)
                {
                    data[i] = (data[i] - m) / s;
                }
            }
        }
        return tensor(data, [channels, image.Height, image.Width]);
    }

    /// <summary>A preprocess function reading the image of <paramref name="column"/> (see <see cref="ToTensor"/>).</summary>
    public static Func<TableRow, Tensor> FromColumn(string column = DefaultColumn, int channels = 0, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? std = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        return sample => ToTensor(ImageOf(sample, column), channels, mean, std);
    }

    /// <summary>
    /// The default preprocessing of a predictor: the sample's <c>image</c> column (see <see cref="ImageOf"/>), else its first decoded image, as a tensor
    /// (see <see cref="ToTensor"/>); else its first tensor value, copied.
    /// </summary>
    public static Tensor Default(TableRow sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.TryGetValue(DefaultColumn, out var value) && value is not null)
        {
            return ToTensor(ImageOf(sample, DefaultColumn));
        }
        foreach (var (_, v) in sample)
        {
            switch (v)
            {
                case ImageSample i: return ToTensor(i);
                case Tensor t: return t.clone();
            }
        }
        throw new InvalidOperationException(
            $"Row {sample.Index} has no image and no tensor to use as model input (columns: {string.Join(", ", sample.Keys)}); give the predictor a preprocess function.");
    }

    /// <summary>
    /// The image in <paramref name="column"/> of a sample: a decoded image as it is; a URL (an image column of sample
    /// type url) read through the default URL adapters and decoded; encoded bytes decoded. Errors name the row.
    /// </summary>
    public static ImageSample ImageOf(TableRow sample, string column)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!sample.TryGetValue(column, out var value))
        {
            throw new InvalidOperationException($"Row {sample.Index} has no column '{column}' (columns: {string.Join(", ", sample.Keys)}).");
        }
        switch (value)
        {
            case ImageSample image:
                return image;
            case string url:
                using (var stream = UrlAdapterRegistry.Default.OpenRead(new Url(url)))
                using (var copy = new MemoryStream())
                {
                    stream.CopyTo(copy);
                    return ImageSample.Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length), $"Row {sample.Index}, column '{column}' ({url})");
                }
            case byte[] encoded:
                return ImageSample.Decode(encoded, $"Row {sample.Index}, column '{column}'");
            default:
                throw new InvalidOperationException($"Row {sample.Index}, column '{column}': expected an image, got {(value is null ? "null" : value.GetType().Name)}.");
        }
    }
}
