using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>
/// One instance mask as COCO's uncompressed run-length encoding: <see cref="Counts"/> alternates background and
/// foreground run lengths over the pixels in column-major order, starting with background.
/// </summary>
public sealed record MaskInstance(IReadOnlyList<int> Counts, int Label)
{
    /// <summary>The number of foreground pixels.</summary>
    public long Area => Rle.Area(Counts);
}

/// <summary>The instance masks of one image, run-length encoded.</summary>
public sealed record SegmentationMasks(int ImageWidth, int ImageHeight, IReadOnlyList<MaskInstance> Instances) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "segmentation_masks";

    /// <summary>The schema of a column of <see cref="SegmentationMasks"/>.</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes) => Schema(ValueMap.FromClasses(classes));

    /// <summary>The schema of a column of <see cref="SegmentationMasks"/> with an explicit value map.</summary>
    public static AnnotationSchema Schema(ValueMap classes) => new(TypeName,
        [new("image_width", new Int32Schema()), new("image_height", new Int32Schema()),
         AnnotationFields.ListOf("instances", [AnnotationFields.Label(classes), new("rle", new ListSchema(new Int32Schema()))])],
        new Dictionary<string, string> { ["rle_order"] = "column_major" });

    /// <summary>Builds the masks of one image from dense masks (row-major, non-zero = foreground).</summary>
    public static SegmentationMasks FromDense(int width, int height, IEnumerable<(byte[] Mask, int Label)> masks) =>
        new(width, height, masks.Select(m => new MaskInstance(Rle.Encode(m.Mask, width, height), m.Label)).ToList());

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["image_width"] = ImageWidth,
        ["image_height"] = ImageHeight,
        ["instances"] = Instances.Select(m => (object?)new Dictionary<string, object?>
        {
            ["label"] = m.Label,
            ["rle"] = m.Counts.ToArray(),
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static SegmentationMasks FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        var instances = RowValues.AsList(RowValues.Field(row, "instances"), "instances").Select((o, i) =>
        {
            var inst = RowValues.AsStruct(o, $"instances[{i}]");
            var counts = RowValues.AsList(RowValues.Field(inst, "rle"), "rle").Select(c => RowValues.ToInt32(c, "rle")).ToArray();
            return new MaskInstance(counts, RowValues.ToInt32(RowValues.Field(inst, "label"), "label"));
        }).ToList();
        return new SegmentationMasks(RowValues.ToInt32(RowValues.Field(row, "image_width"), "image_width"),
            RowValues.ToInt32(RowValues.Field(row, "image_height"), "image_height"), instances);
    }
}
