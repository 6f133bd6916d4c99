using Tlc.Schemas;

namespace Tlc.DataTypes;

/// <summary>Shared pieces of the annotation schemas.</summary>
internal static class AnnotationFields
{
    public static SchemaField Float(string name) => new(name, new Float32Schema());

    public static SchemaField Label(ValueMap classes) => new("label", new CategoricalLabelSchema(classes));

    public static SchemaField ImageWidth => Float("image_width");

    public static SchemaField ImageHeight => Float("image_height");

    public static SchemaField ListOf(string name, IEnumerable<SchemaField> fields) => new(name, new ListSchema(new StructSchema(fields)));
}
