namespace Tlc.Schemas;

/// <summary>How an <see cref="ImageSchema"/> column treats its values.</summary>
public enum ImageSampleType
{
    /// <summary>Accepts images or URLs on write (images are saved as PNG bulk data); returns decoded images. The default.</summary>
    Png,
    /// <summary>As <see cref="Png"/>, saving JPEG files.</summary>
    Jpeg,
    /// <summary>As <see cref="Png"/>, saving WebP files.</summary>
    Webp,
    /// <summary>URL passthrough on both sides: nothing is decoded or written.</summary>
    Url,
}

/// <summary>Maps <see cref="ImageSampleType"/> to sample type names.</summary>
public static class ImageSampleTypes
{
    /// <summary>The sample type name of <paramref name="type"/>.</summary>
    public static string Name(this ImageSampleType type) => type switch
    {
        ImageSampleType.Png => SampleTypes.Png,
        ImageSampleType.Jpeg => SampleTypes.Jpeg,
        ImageSampleType.Webp => SampleTypes.Webp,
        ImageSampleType.Url => SampleTypes.Url,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>Parses a sample type name into an <see cref="ImageSampleType"/>.</summary>
    public static ImageSampleType Parse(string? name) => name switch
    {
        null or SampleTypes.Png or "pil_png" => ImageSampleType.Png,
        SampleTypes.Jpeg or "pil_jpeg" => ImageSampleType.Jpeg,
        SampleTypes.Webp or "pil_webp" => ImageSampleType.Webp,
        SampleTypes.Url => ImageSampleType.Url,
        _ => throw new FormatException($"Unknown image sample type '{name}' (expected png, jpeg, webp or url)."),
    };
}

/// <summary>An image column: stores the image's URL; see <see cref="ImageSampleType"/> for read and write behaviour.</summary>
public sealed class ImageSchema : ScalarSchema
{
    /// <summary>Creates an image schema.</summary>
    public ImageSchema(ImageSampleType sampleType = ImageSampleType.Png) : base(ScalarKind.String, "image")
    {
        ImageSampleType = sampleType;
        SampleType = sampleType.Name();
    }

    /// <summary>How values are read and written.</summary>
    public ImageSampleType ImageSampleType { get; }
}

/// <summary>
/// A semantic segmentation column: the URL of a single-channel mask image whose pixel values are class ids named
/// by <see cref="ScalarSchema.ValueMap"/>.
/// </summary>
public sealed class SemanticSegmentationSchema : ScalarSchema
{
    /// <summary>Creates a semantic segmentation schema; pixel value i is <paramref name="classes"/>[i].</summary>
    public SemanticSegmentationSchema(IEnumerable<string> classes, ImageSampleType sampleType = ImageSampleType.Png)
        : this(ValueMap.FromClasses(classes), sampleType)
    {
    }

    /// <summary>Creates a semantic segmentation schema from an explicit value map.</summary>
    public SemanticSegmentationSchema(ValueMap classes, ImageSampleType sampleType = ImageSampleType.Png)
        : base(ScalarKind.String, "semantic_segmentation")
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (sampleType is ImageSampleType.Jpeg or ImageSampleType.Webp)
        {
            throw new ArgumentException("Segmentation masks must be lossless: use png or url.", nameof(sampleType));
        }
        ValueMap = classes;
        ImageSampleType = sampleType;
        SampleType = sampleType.Name();
    }

    /// <summary>How values are read and written.</summary>
    public ImageSampleType ImageSampleType { get; }
}

/// <summary>A video column: the URL of a video file, passed through as a string.</summary>
public sealed class VideoUrlSchema : ScalarSchema
{
    /// <summary>Creates a video URL schema.</summary>
    public VideoUrlSchema() : base(ScalarKind.String, "video_url") => SampleType = SampleTypes.Url;
}
