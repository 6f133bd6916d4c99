using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>One 2-D box. The four numbers are read according to the column's <see cref="BoxFormat"/>.</summary>
public sealed record BoundingBox2D(float X0, float Y0, float X1, float Y1, int Label)
{
    /// <summary>The model's confidence, for predicted boxes.</summary>
    public float? Confidence { get; init; }

    /// <summary>COCO's <c>iscrowd</c> flag, where the import keeps crowd annotations.</summary>
    public bool? IsCrowd { get; init; }
}

/// <summary>The 2-D boxes of one image.</summary>
public sealed record BoundingBoxes2D(float ImageWidth, float ImageHeight, IReadOnlyList<BoundingBox2D> Boxes) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "bounding_boxes_2d";

    /// <summary>The schema of a column of <see cref="BoundingBoxes2D"/>; label i is <paramref name="classes"/>[i].</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes, BoxFormat format = BoxFormat.Xyxy, bool normalized = false,
        bool includeConfidence = false, bool includeIsCrowd = false) =>
        Schema(ValueMap.FromClasses(classes), format, normalized, includeConfidence, includeIsCrowd);

    /// <summary>The schema of a column of <see cref="BoundingBoxes2D"/> with an explicit value map (e.g. COCO category ids).</summary>
    public static AnnotationSchema Schema(ValueMap classes, BoxFormat format = BoxFormat.Xyxy, bool normalized = false,
        bool includeConfidence = false, bool includeIsCrowd = false)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var box = new List<SchemaField>
        {
            AnnotationFields.Float("x0"), AnnotationFields.Float("y0"), AnnotationFields.Float("x1"), AnnotationFields.Float("y1"),
            AnnotationFields.Label(classes),
        };
        if (includeConfidence) box.Add(new("confidence", new ConfidenceSchema()));
        if (includeIsCrowd) box.Add(new("iscrowd", new BoolSchema { DefaultValue = false }));
        return new AnnotationSchema(TypeName,
            [AnnotationFields.ImageWidth, AnnotationFields.ImageHeight, AnnotationFields.ListOf("bb_list", box)],
            new Dictionary<string, string> { ["box_format"] = format.Name(), ["normalized"] = normalized ? "true" : "false" });
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["image_width"] = ImageWidth,
        ["image_height"] = ImageHeight,
        ["bb_list"] = Boxes.Select(b =>
        {
            var d = new Dictionary<string, object?> { ["x0"] = b.X0, ["y0"] = b.Y0, ["x1"] = b.X1, ["y1"] = b.Y1, ["label"] = b.Label };
            if (b.Confidence is { } c) d["confidence"] = c;
            if (b.IsCrowd is { } crowd) d["iscrowd"] = crowd;
            return (object?)d;
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static BoundingBoxes2D FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        var boxes = RowValues.AsList(RowValues.Field(row, "bb_list"), "bb_list").Select((b, i) =>
        {
            var box = RowValues.AsStruct(b, $"bb_list[{i}]");
            return new BoundingBox2D(
                RowValues.ToSingle(RowValues.Field(box, "x0"), "x0"), RowValues.ToSingle(RowValues.Field(box, "y0"), "y0"),
                RowValues.ToSingle(RowValues.Field(box, "x1"), "x1"), RowValues.ToSingle(RowValues.Field(box, "y1"), "y1"),
                RowValues.ToInt32(RowValues.Field(box, "label"), "label"))
            {
                Confidence = RowValues.Field(box, "confidence") is { } c ? RowValues.ToSingle(c, "confidence") : null,
                IsCrowd = RowValues.Field(box, "iscrowd") is bool crowd ? crowd : null,
            };
        }).ToList();
        return new BoundingBoxes2D(RowValues.ToSingle(RowValues.Field(row, "image_width"), "image_width"),
            RowValues.ToSingle(RowValues.Field(row, "image_height"), "image_height"), boxes);
    }
}
