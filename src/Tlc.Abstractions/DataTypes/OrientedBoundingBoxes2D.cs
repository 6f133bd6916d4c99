using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>One rotated 2-D box: centre, size and rotation (radians, counter-clockwise).</summary>
public sealed record OrientedBoundingBox2D(float CenterX, float CenterY, float Width, float Height, float Rotation, int Label);

/// <summary>The rotated 2-D boxes of one image.</summary>
public sealed record OrientedBoundingBoxes2D(float ImageWidth, float ImageHeight, IReadOnlyList<OrientedBoundingBox2D> Boxes) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "oriented_bounding_boxes_2d";

    private static readonly string[] Numbers = ["center_x", "center_y", "width", "height", "rotation"];

    /// <summary>The schema of a column of <see cref="OrientedBoundingBoxes2D"/>.</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes) => Schema(ValueMap.FromClasses(classes));

    /// <summary>The schema of a column of <see cref="OrientedBoundingBoxes2D"/> with an explicit value map.</summary>
    public static AnnotationSchema Schema(ValueMap classes) => new(TypeName,
        [AnnotationFields.ImageWidth, AnnotationFields.ImageHeight,
         AnnotationFields.ListOf("obb_list", Numbers.Select(AnnotationFields.Float).Append(AnnotationFields.Label(classes)))]);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["image_width"] = ImageWidth,
        ["image_height"] = ImageHeight,
        ["obb_list"] = Boxes.Select(b => (object?)new Dictionary<string, object?>
        {
            ["center_x"] = b.CenterX, ["center_y"] = b.CenterY, ["width"] = b.Width, ["height"] = b.Height,
            ["rotation"] = b.Rotation, ["label"] = b.Label,
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static OrientedBoundingBoxes2D FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        var boxes = RowValues.AsList(RowValues.Field(row, "obb_list"), "obb_list").Select((b, i) =>
        {
            var box = RowValues.AsStruct(b, $"obb_list[{i}]");
            float F(string n) => RowValues.ToSingle(RowValues.Field(box, n), n);
            return new OrientedBoundingBox2D(F("center_x"), F("center_y"), F("width"), F("height"), F("rotation"),
                RowValues.ToInt32(RowValues.Field(box, "label"), "label"));
        }).ToList();
        return new OrientedBoundingBoxes2D(RowValues.ToSingle(RowValues.Field(row, "image_width"), "image_width"),
            RowValues.ToSingle(RowValues.Field(row, "image_height"), "image_height"), boxes);
    }
}
