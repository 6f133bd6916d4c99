using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>One instance outlined by one or more polygons, each a flat list x0, y0, x1, y1, ... in pixels.</summary>
public sealed record PolygonInstance(IReadOnlyList<IReadOnlyList<float>> Polygons, int Label);

/// <summary>The polygon instances of one image.</summary>
public sealed record SegmentationPolygons(float ImageWidth, float ImageHeight, IReadOnlyList<PolygonInstance> Instances) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "segmentation_polygons";

    /// <summary>The schema of a column of <see cref="SegmentationPolygons"/>.</summary>
    public static AnnotationSchema Schema(IEnumerable<string> classes) => Schema(ValueMap.FromClasses(classes));

    /// <summary>The schema of a column of <see cref="SegmentationPolygons"/> with an explicit value map.</summary>
    public static AnnotationSchema Schema(ValueMap classes) => new(TypeName,
        [AnnotationFields.ImageWidth, AnnotationFields.ImageHeight,
         AnnotationFields.ListOf("instances", [AnnotationFields.Label(classes), new("polygons", new ListSchema(new ListSchema(new Float32Schema())))])]);

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["image_width"] = ImageWidth,
        ["image_height"] = ImageHeight,
        ["instances"] = Instances.Select(p => (object?)new Dictionary<string, object?>
        {
            ["label"] = p.Label,
            ["polygons"] = p.Polygons.Select(poly => (object?)poly.ToArray()).ToList(),
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static SegmentationPolygons FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        var instances = RowValues.AsList(RowValues.Field(row, "instances"), "instances").Select((o, i) =>
        {
            var inst = RowValues.AsStruct(o, $"instances[{i}]");
            var polygons = RowValues.AsList(RowValues.Field(inst, "polygons"), "polygons")
                .Select((p, j) => (IReadOnlyList<float>)RowValues.ToSingles(p, $"polygons[{j}]")).ToList();
            return new PolygonInstance(polygons, RowValues.ToInt32(RowValues.Field(inst, "label"), "label"));
        }).ToList();
        return new SegmentationPolygons(RowValues.ToSingle(RowValues.Field(row, "image_width"), "image_width"),
            RowValues.ToSingle(RowValues.Field(row, "image_height"), "image_height"), instances);
    }
}
