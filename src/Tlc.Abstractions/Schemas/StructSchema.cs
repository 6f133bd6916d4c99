namespace Tlc.Schemas;

/// <summary>A composite value per row: named fields, stored as an Arrow struct.</summary>
public class StructSchema : ColumnSchema
{
    private readonly string? _type;

    /// <summary>Creates a struct schema from ordered fields; <paramref name="type"/> names a custom role.</summary>
    public StructSchema(IEnumerable<SchemaField> fields, string? type = null)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = fields.ToArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            if (string.IsNullOrEmpty(field.Name))
            {
                throw new ArgumentException("A struct field needs a name.", nameof(fields));
            }
            if (!seen.Add(field.Name))
            {
                throw new ArgumentException($"The struct field '{field.Name}' appears twice.", nameof(fields));
            }
        }
        _type = type;
    }

    /// <summary>The ordered fields.</summary>
    public IReadOnlyList<SchemaField> Fields { get; }

    /// <summary>The field named <paramref name="name"/>, or null.</summary>
    public ColumnSchema? Field(string name) => Fields.FirstOrDefault(f => f.Name == name)?.Schema;

    /// <inheritdoc />
    public override string Type => _type ?? "struct";

    /// <inheritdoc />
    public override string Describe() => _type is null
        ? $"struct<{string.Join(", ", Fields.Select(f => $"{f.Name}: {f.Schema.Describe()}"))}>"
        : $"struct ({_type})";
}
