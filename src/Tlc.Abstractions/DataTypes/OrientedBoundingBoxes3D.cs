using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>One rotated 3-D box: centre, size and orientation as yaw, pitch and roll (radians).</summary>
public sealed record OrientedBoundingBox3D(float CenterX, float CenterY, float CenterZ, float SizeX, float SizeY, float SizeZ,
    float Yaw, float Pitch, float Roll, int Label);

/// <summary>The rotated 3-D boxes of one sample.</summary>
public sealed record OrientedBoundingBoxes3D(IReadOnlyList<OrientedBoundingBox3D> Boxes) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "oriented_bounding_boxes_3d";

    private static readonly string[] Numbers = ["center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw", "pitch", "roll"];

    /// <summary>The schema of a column of <see cref="OrientedBoundingBoxes3D"/>.</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes) => Schema(ValueMap.FromClasses(classes));

    /// <summary>The schema of a column of <see cref="OrientedBoundingBoxes3D"/> with an explicit value map.</summary>
    public static AnnotationSchema Schema(ValueMap classes) => new(TypeName,
        [AnnotationFields.ListOf("obb_list", Numbers.Select(AnnotationFields.Float).Append(AnnotationFields.Label(classes)))]);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["obb_list"] = Boxes.Select(b => (object?)new Dictionary<string, object?>
        {
            ["center_x"] = b.CenterX, ["center_y"] = b.CenterY, ["center_z"] = b.CenterZ,
            ["size_x"] = b.SizeX, ["size_y"] = b.SizeY, ["size_z"] = b.SizeZ,
            ["yaw"] = b.Yaw, ["pitch"] = b.Pitch, ["roll"] = b.Roll, ["label"] = b.Label,
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static OrientedBoundingBoxes3D FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        return new OrientedBoundingBoxes3D(RowValues.AsList(RowValues.Field(row, "obb_list"), "obb_list").Select((b, i) =>
        {
            var box = RowValues.AsStruct(b, $"obb_list[{i}]");
            float F(string n) => RowValues.ToSingle(RowValues.Field(box, n), n);
            return new OrientedBoundingBox3D(F("center_x"), F("center_y"), F("center_z"), F("size_x"), F("size_y"), F("size_z"),
                F("yaw"), F("pitch"), F("roll"), RowValues.ToInt32(RowValues.Field(box, "label"), "label"));
        }).ToList());
    }
}
