using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>
/// One rotated 2-D box: centre, size and rotation (radians, counter-clockwise as seen on the image, whose y axis points
/// down). At rotation 0 the width runs along x and the height along y.
/// </summary>
public sealed record OrientedBoundingBox2D(float CenterX, float CenterY, float Width, float Height, float Rotation, int Label)
{
    /// <summary>
    /// The four corners, in the coordinates of the box: the unrotated box's top-left, top-right, bottom-right and
    /// bottom-left corners (clockwise as seen at rotation 0), each turned by <see cref="Rotation"/> about the centre.
    /// </summary>
    public (double X, double Y)[] Corners()
    {
        var (cos, sin) = (Math.Cos(Rotation), Math.Sin(Rotation));
        (double X, double Y) Turn(double dx, double dy) => (CenterX + (dx * cos) + (dy * sin), CenterY - (dx * sin) + (dy * cos));
        var (w, h) = (Width / 2.0, Height / 2.0);
        return [Turn(-w, -h), Turn(w, -h), Turn(w, h), Turn(-w, h)];
    }

    /// <summary>
    /// The box whose corners <see cref="Corners"/> gives: the centre is the corners' mean, the width the length of the
    /// first edge (corner 0 to 1), the height that of the second (1 to 2) and the rotation the first edge's direction.
    /// A quadrilateral that is not a rectangle gives the box of its first two edges.
    /// </summary>
    /// <exception cref="ArgumentException">Not four corners, or a corner that is not finite.</exception>
    public static OrientedBoundingBox2D FromCorners(IReadOnlyList<(double X, double Y)> corners, int label)
    {
        ArgumentNullException.ThrowIfNull(corners);
        if (corners.Count != 4 || corners.Any(c => !double.IsFinite(c.X) || !double.IsFinite(c.Y)))
        {
            throw new ArgumentException($"An oriented box needs 4 finite corners, got {corners.Count}.", nameof(corners));
        }
        var cx = corners.Average(c => c.X);
        var cy = corners.Average(c => c.Y);
        var (ex, ey) = (corners[1].X - corners[0].X, corners[1].Y - corners[0].Y);
        var width = Math.Sqrt((ex * ex) + (ey * ey));
        var height = Math.Sqrt(Math.Pow(corners[2].X - corners[1].X, 2) + Math.Pow(corners[2].Y - corners[1].Y, 2));
        var rotation = width > 0 ? Math.Atan2(-ey, ex) : 0;
        return new OrientedBoundingBox2D((float)cx, (float)cy, (float)width, (float)height, (float)rotation, label);
    }
}

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
