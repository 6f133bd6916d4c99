namespace Tlc.Schemas;

/// <summary>
/// The schema of an annotation column made by an annotation type's <c>Schema(...)</c> factory
/// (<c>BoundingBoxes2D.Schema(classes)</c>, ...). A struct whose <see cref="ColumnSchema.Type"/> names the annotation
/// type and whose <see cref="Attributes"/> hold its settings (box format, number of keypoints, ...).
/// </summary>
public sealed class AnnotationSchema : StructSchema
{
    /// <summary>Creates an annotation schema.</summary>
    public AnnotationSchema(string type, IEnumerable<SchemaField> fields, IReadOnlyDictionary<string, string>? attributes = null)
        : base(fields, type)
    {
        ArgumentException.ThrowIfNullOrEmpty(type);
        Attributes = new SortedDictionary<string, string>(attributes?.ToDictionary() ?? [], StringComparer.Ordinal);
        SampleType = type;
    }

    /// <summary>Settings of the annotation type, e.g. <c>box_format = xywh</c>.</summary>
    public IReadOnlyDictionary<string, string> Attributes { get; }

    /// <summary>The attribute <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public string Attribute(string name, string fallback = "") => Attributes.TryGetValue(name, out var v) ? v : fallback;

    /// <summary>The class names of the first label field found in the annotation, or null.</summary>
    public ValueMap? Classes => FindValueMap(this);

    private static ValueMap? FindValueMap(ColumnSchema schema) => schema switch
    {
        ScalarSchema { ValueMap: { } map } => map,
        ListSchema list => FindValueMap(list.Element),
        StructSchema s => s.Fields.Select(f => FindValueMap(f.Schema)).FirstOrDefault(m => m is not null),
        _ => null,
    };
}
