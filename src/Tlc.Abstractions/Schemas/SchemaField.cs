namespace Tlc.Schemas;

/// <summary>A named field of a <see cref="StructSchema"/>.</summary>
/// <param name="Name">The field name.</param>
/// <param name="Schema">The field's schema.</param>
public sealed record SchemaField(string Name, ColumnSchema Schema);
