using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>One 3-D box: centre, size and heading (yaw, radians about +z).</summary>
public sealed record BoundingBox3D(float CenterX, float CenterY, float CenterZ, float SizeX, float SizeY, float SizeZ, float Yaw, int Label);

/// <summary>The 3-D boxes of one sample (e.g. a point cloud).</summary>
public sealed record BoundingBoxes3D(IReadOnlyList<BoundingBox3D> Boxes) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "bounding_boxes_3d";

    private static readonly string[] Numbers = ["center_x", "center_y", "center_z", "size_x", "size_y", "size_z", "yaw"];

    /// <summary>The schema of a column of <see cref="BoundingBoxes3D"/>.</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes) => Schema(ValueMap.FromClasses(classes));

    /// <summary>The schema of a column of <see cref="BoundingBoxes3D"/> with an explicit value map.</summary>
    public static AnnotationSchema Schema(ValueMap classes) => new(TypeName,
        [AnnotationFields.ListOf("bb_list", Numbers.Select(AnnotationFields.Float).Append(AnnotationFields.Label(classes)))]);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["bb_list"] = Boxes.Select(b => (object?)new Dictionary<string, object?>
        {
            ["center_x"] = b.CenterX, ["center_y"] = b.CenterY, ["center_z"] = b.CenterZ,
            ["size_x"] = b.SizeX, ["size_y"] = b.SizeY, ["size_z"] = b.SizeZ, ["yaw"] = b.Yaw, ["label"] = b.Label,
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static BoundingBoxes3D FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        return new BoundingBoxes3D(RowValues.AsList(RowValues.Field(row, "bb_list"), "bb_list").Select((b, i) =>
        {
            var box = RowValues.AsStruct(b, $"bb_list[{i}]");
            float F(string n) => RowValues.ToSingle(RowValues.Field(box, n), n);
            return new BoundingBox3D(F("center_x"), F("center_y"), F("center_z"), F("size_x"), F("size_y"), F("size_z"), F("yaw"),
                RowValues.ToInt32(RowValues.Field(box, "label"), "label"));
        }).ToList());
    }
}
