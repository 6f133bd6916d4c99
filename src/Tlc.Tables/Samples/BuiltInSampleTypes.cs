using System.Globalization;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Samples;

/// <summary>
/// URL passthrough: strings in, strings out — except that a file URL column's value stored relative to the table or with
/// an alias token (see <see cref="StoredUrls"/>) is read as the absolute URL it names.
/// </summary>
internal sealed class UrlSampleType : ISampleType
{
    public string Name => SampleTypes.Url;

    public object? Encode(object? value, SampleWriteContext context) => value is Url u ? u.Value : value;

    public object? Decode(object? stored, SampleReadContext context)
    {
        if (stored is not string s || s.Length == 0 || !StoredUrls.HoldsUrls(context.Schema) || (Url.IsAbsolute(s) && s[0] != '<'))
        {
            return stored;
        }
        try
        {
            return context.Resolve(s).Value;
        }
        catch (ArgumentException)
        {
            // An alias no setting defines: the value as stored.
            return stored;
        }
    }
}

/// <summary>
/// Images kept as files: a written string is a URL kept as it is; an <see cref="ImageSample"/>, SkiaSharp bitmap or encoded
/// bytes are saved as bulk data in this format; a read decodes the file at the stored URL.
/// </summary>
internal sealed class ImageFileSampleType(string name, ImageEncoding encoding, string extension) : ISampleType
{
    public string Name => name;

    public object? Encode(object? value, SampleWriteContext context)
    {
        byte[] bytes;
        switch (value)
        {
            case null or string or System.Text.Json.JsonElement:
                return value;
            case Url given:
                return given.Value;
            case ImageSample image:
                bytes = image.Encode(encoding);
                break;
            case SkiaSharp.SKBitmap bitmap:
                using (var image = SkiaSharp.SKImage.FromBitmap(bitmap))
                using (var data = image.Encode(encoding switch
                {
                    ImageEncoding.Jpeg => SkiaSharp.SKEncodedImageFormat.Jpeg,
                    ImageEncoding.Webp => SkiaSharp.SKEncodedImageFormat.Webp,
                    _ => SkiaSharp.SKEncodedImageFormat.Png,
                }, 90))
                {
                    bytes = data.ToArray();
                }
                break;
            case byte[] encoded:
                bytes = encoded;
                break;
            default:
                throw new RowValidationException(context.Row, context.Column,
                    $"expected an image (ImageSample, SKBitmap, encoded bytes) or a URL string, got {RowValues.Describe(value)}");
        }
        var url = context.BulkDataFolder.Join($"{context.Column}/{context.Row.ToString("D8", CultureInfo.InvariantCulture)}.{extension}");
        using (var stream = context.Adapters.OpenWrite(url, WriteMode.Overwrite))
        {
            stream.Write(bytes);
            stream.Commit();
        }
        return url.Value;
    }

    public object? Decode(object? stored, SampleReadContext context) => stored is string s ? Read(s, context) : stored;

    /// <summary>The image file at <paramref name="stored"/> (absolute, or relative to the table), decoded.</summary>
    internal static ImageSample Read(string stored, SampleReadContext context)
    {
        var url = context.Resolve(stored);
        using var stream = context.Adapters.OpenRead(url);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return ImageSample.Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length), url.Value);
    }
}

/// <summary>Annotation structs decoded into their annotation types.</summary>
internal sealed class AnnotationSampleType(string name, Func<object?, IAnnotation> read) : ISampleType
{
    public string Name => name;

    public object? Encode(object? value, SampleWriteContext context) => value;

    public object? Decode(object? stored, SampleReadContext context) => stored is null ? null : read(stored);
}
