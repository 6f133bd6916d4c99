using System.Globalization;
using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>
/// One instance's keypoints: <see cref="Points"/> holds x, y pairs (2 × the schema's number of keypoints);
/// <see cref="Visibility"/>, where present, one flag per keypoint (COCO: 0 not labelled, 1 hidden, 2 visible).
/// </summary>
public sealed record KeypointInstance(IReadOnlyList<float> Points, int Label, IReadOnlyList<sbyte>? Visibility = null);

/// <summary>The keypoint instances of one image.</summary>
public sealed record Keypoints2D(float ImageWidth, float ImageHeight, IReadOnlyList<KeypointInstance> Instances) : IAnnotation
{
    /// <summary>The annotation type name.</summary>
    public const string TypeName = "keypoints_2d";

    /// <summary>
    /// The schema of a column of <see cref="Keypoints2D"/>: <paramref name="numKeypoints"/> points per instance, optional point
    /// names and skeleton (pairs of point indices).
    /// </summary>
    public static AnnotationSchema Schema(int numKeypoints, IEnumerable<string> classes, IReadOnlyList<string>? pointNames = null,
        IReadOnlyList<(int From, int To)>? skeleton = null, bool includeVisibility = true) =>
        Schema(numKeypoints, ValueMap.FromClasses(classes), pointNames, skeleton, includeVisibility);

    /// <summary>The schema of a column of <see cref="Keypoints2D"/> with an explicit value map (e.g. COCO category ids).</summary>
    /// <exception cref="ArgumentException">Point names not one per keypoint, or a skeleton edge naming a point outside 0..K-1.</exception>
    public static AnnotationSchema Schema(int numKeypoints, ValueMap classes, IReadOnlyList<string>? pointNames = null,
        IReadOnlyList<(int From, int To)>? skeleton = null, bool includeVisibility = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(numKeypoints);
        ArgumentNullException.ThrowIfNull(classes);
        foreach (var (from, to) in skeleton ?? [])
        {
            if (from < 0 || from >= numKeypoints || to < 0 || to >= numKeypoints)
            {
                throw new ArgumentException($"The skeleton edge {from}-{to} names a point outside 0..{numKeypoints - 1}.", nameof(skeleton));
            }
        }
        if (pointNames?.FirstOrDefault(n => string.IsNullOrEmpty(n) || n.Contains(',', StringComparison.Ordinal)) is { } badName)
        {
            throw new ArgumentException($"The point name '{badName}' is empty or holds a comma (the schema lists names comma-separated).", nameof(pointNames));
        }
        if (pointNames is not null && pointNames.Count != numKeypoints)
        {
            throw new ArgumentException($"{pointNames.Count} point names given for {numKeypoints} keypoints.", nameof(pointNames));
        }
        var instance = new List<SchemaField>
        {
            AnnotationFields.Label(classes),
            new("keypoints", new ListSchema(new Float32Schema(), 2 * numKeypoints)),
        };
        if (includeVisibility) instance.Add(new("visibility", new ListSchema(new Int8Schema(), numKeypoints)));
        var attributes = new Dictionary<string, string> { ["num_keypoints"] = numKeypoints.ToString(CultureInfo.InvariantCulture) };
        if (pointNames is not null) attributes["point_names"] = string.Join(",", pointNames);
        if (skeleton is not null) attributes["skeleton"] = string.Join(",", skeleton.Select(e => $"{e.From}-{e.To}"));
        return new AnnotationSchema(TypeName,
            [AnnotationFields.ImageWidth, AnnotationFields.ImageHeight, AnnotationFields.ListOf("instances", instance)], attributes);
    }

    /// <summary>The keypoints per instance a <see cref="Schema(int, ValueMap, IReadOnlyList{string}?, IReadOnlyList{ValueTuple{int, int}}?, bool)"/> schema declares.</summary>
    public static int NumKeypoints(AnnotationSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return int.Parse(schema.Attribute("num_keypoints", "0"), CultureInfo.InvariantCulture);
    }

    /// <summary>The point names a schema declares, or null.</summary>
    public static IReadOnlyList<string>? PointNames(AnnotationSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.Attribute("point_names", "") is { Length: > 0 } names ? names.Split(',') : null;
    }

    /// <summary>The skeleton (pairs of 0-based point indices) a schema declares, or null.</summary>
    public static IReadOnlyList<(int From, int To)>? Skeleton(AnnotationSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return schema.Attribute("skeleton", "") is { Length: > 0 } edges
            ? edges.Split(',').Select(e => e.Split('-')).Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToList()
            : null;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, object?> ToRowValue() => new Dictionary<string, object?>
    {
        ["image_width"] = ImageWidth,
        ["image_height"] = ImageHeight,
        ["instances"] = Instances.Select(k =>
        {
            var d = new Dictionary<string, object?> { ["label"] = k.Label, ["keypoints"] = k.Points.ToArray() };
            if (k.Visibility is { } v) d["visibility"] = v.ToArray();
            return (object?)d;
        }).ToList(),
    };

    /// <summary>Reads a stored value back.</summary>
    public static Keypoints2D FromRowValue(object? value)
    {
        var row = RowValues.AsStruct(value, TypeName);
        var instances = RowValues.AsList(RowValues.Field(row, "instances"), "instances").Select((o, i) =>
        {
            var inst = RowValues.AsStruct(o, $"instances[{i}]");
            var visibility = RowValues.Field(inst, "visibility") is { } v
                ? RowValues.AsList(v, "visibility").Select(x => (sbyte)RowValues.ToInt32(x, "visibility")).ToArray()
                : null;
            return new KeypointInstance(RowValues.ToSingles(RowValues.Field(inst, "keypoints"), "keypoints"),
                RowValues.ToInt32(RowValues.Field(inst, "label"), "label"), visibility);
        }).ToList();
        return new Keypoints2D(RowValues.ToSingle(RowValues.Field(row, "image_width"), "image_width"),
            RowValues.ToSingle(RowValues.Field(row, "image_height"), "image_height"), instances);
    }
}
