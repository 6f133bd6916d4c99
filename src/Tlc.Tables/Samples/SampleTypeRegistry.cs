using System.Collections.Concurrent;
using Tlc.DataTypes;
using Tlc.Schemas;

namespace Tlc.Tables.Samples;

/// <summary>
/// The sample types by name. Built in: <c>url</c>, <c>png</c>, <c>jpeg</c>, <c>webp</c> and one per annotation type
/// (<c>bounding_boxes_2d</c>, ...). <see cref="Register"/> adds custom ones; <see cref="Reset"/> restores the built-ins (tests).
/// </summary>
public sealed class SampleTypeRegistry
{
    private readonly ConcurrentDictionary<string, ISampleType> _types = new(StringComparer.Ordinal);

    /// <summary>Creates a registry with the built-ins.</summary>
    public SampleTypeRegistry() => RegisterBuiltIns();

    /// <summary>The process-wide registry.</summary>
    public static SampleTypeRegistry Default { get; } = new();

    /// <summary>Registers or replaces a sample type.</summary>
    public void Register(ISampleType sampleType)
    {
        ArgumentNullException.ThrowIfNull(sampleType);
        _types[sampleType.Name] = sampleType;
    }

    /// <summary>The sample type named <paramref name="name"/>, or null.</summary>
    public ISampleType? Find(string? name) => name is not null && _types.TryGetValue(name, out var t) ? t : null;

    /// <summary>Removes custom sample types.</summary>
    public void Reset()
    {
        _types.Clear();
        RegisterBuiltIns();
    }

    private void RegisterBuiltIns()
    {
        Register(new UrlSampleType());
        Register(new ImageFileSampleType(SampleTypes.Png, ImageEncoding.Png, "png"));
        Register(new ImageFileSampleType(SampleTypes.Jpeg, ImageEncoding.Jpeg, "jpg"));
        Register(new ImageFileSampleType(SampleTypes.Webp, ImageEncoding.Webp, "webp"));
        Register(new AnnotationSampleType(BoundingBoxes2D.TypeName, v => BoundingBoxes2D.FromRowValue(v)));
        Register(new AnnotationSampleType(BoundingBoxes3D.TypeName, v => BoundingBoxes3D.FromRowValue(v)));
        Register(new AnnotationSampleType(OrientedBoundingBoxes2D.TypeName, v => OrientedBoundingBoxes2D.FromRowValue(v)));
        Register(new AnnotationSampleType(OrientedBoundingBoxes3D.TypeName, v => OrientedBoundingBoxes3D.FromRowValue(v)));
        Register(new AnnotationSampleType(Keypoints2D.TypeName, v => Keypoints2D.FromRowValue(v)));
        Register(new AnnotationSampleType(SegmentationPolygons.TypeName, v => SegmentationPolygons.FromRowValue(v)));
        Register(new AnnotationSampleType(SegmentationMasks.TypeName, v => SegmentationMasks.FromRowValue(v)));
    }
}
