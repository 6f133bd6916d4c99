using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.Schemas;

namespace Tlc.Tables.Arrow;

/// <summary>Maps Tlc schemas to Arrow types and schemas.</summary>
public static class ArrowSchemas
{
    /// <summary>The field metadata key holding a column's Tlc schema as JSON, for readers that want it.</summary>
    public const string SchemaMetadataKey = "tlc.schema";

    /// <summary>The Arrow type storing values of <paramref name="schema"/>.</summary>
    public static IArrowType ToArrowType(ColumnSchema schema) => schema switch
    {
        ScalarSchema s => s.Kind switch
        {
            ScalarKind.Bool => BooleanType.Default,
            ScalarKind.Int8 => Int8Type.Default,
            ScalarKind.Int16 => Int16Type.Default,
            ScalarKind.Int32 => Int32Type.Default,
            ScalarKind.Int64 => Int64Type.Default,
            ScalarKind.UInt8 => UInt8Type.Default,
            ScalarKind.UInt16 => UInt16Type.Default,
            ScalarKind.UInt32 => UInt32Type.Default,
            ScalarKind.UInt64 => UInt64Type.Default,
            ScalarKind.Float32 => FloatType.Default,
            ScalarKind.Float64 => DoubleType.Default,
            ScalarKind.String => StringType.Default,
            ScalarKind.Binary => BinaryType.Default,
            ScalarKind.Timestamp => new TimestampType(TimeUnit.Microsecond, "UTC"),
            _ => throw new NotSupportedException($"Scalar kind {s.Kind} has no Arrow type."),
        },
        ListSchema l => l.FixedSize is { } n
            ? new FixedSizeListType(new Field("item", ToArrowType(l.Element), l.Element.Nullable), n)
            : new ListType(new Field("item", ToArrowType(l.Element), l.Element.Nullable)),
        StructSchema st => new StructType(st.Fields.Select(f => ToField(f.Name, f.Schema, withMetadata: false)).ToList()),
        _ => throw new NotSupportedException($"Schema {schema.GetType().Name} has no Arrow type."),
    };

    /// <summary>The Arrow field of a column.</summary>
    public static Field ToField(string name, ColumnSchema schema, bool withMetadata = true)
    {
        var metadata = withMetadata ? new Dictionary<string, string> { [SchemaMetadataKey] = SchemaJson.ToJsonString(schema) } : null;
        return new Field(name, ToArrowType(schema), schema.Nullable, metadata);
    }

    /// <summary>The Arrow schema of a table.</summary>
    public static Apache.Arrow.Schema ToArrowSchema(TableSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var builder = new Apache.Arrow.Schema.Builder();
        foreach (var (name, column) in schema)
        {
            builder.Field(ToField(name, column));
        }
        builder.Metadata("tlc.format_version", "1");
        return builder.Build();
    }

    /// <summary>Renders an Arrow type for messages and <c>table info</c> ("int32", "list&lt;float&gt;", ...).</summary>
    public static string Describe(IArrowType type) => type switch
    {
        ListType l => $"list<{Describe(l.ValueDataType)}>",
        FixedSizeListType f => $"fixed_size_list<{Describe(f.ValueDataType)}>[{f.ListSize}]",
        StructType s => $"struct<{string.Join(", ", s.Fields.Select(f => $"{f.Name}: {Describe(f.DataType)}"))}>",
        TimestampType t => $"timestamp[{t.Unit.ToString().ToLowerInvariant()}]",
        _ => type.Name,
    };

    /// <summary>True when two Arrow types are structurally equal (names, nesting and widths).</summary>
    public static bool TypesEqual(IArrowType a, IArrowType b) => (a, b) switch
    {
        (ListType la, ListType lb) => TypesEqual(la.ValueDataType, lb.ValueDataType),
        (FixedSizeListType fa, FixedSizeListType fb) => fa.ListSize == fb.ListSize && TypesEqual(fa.ValueDataType, fb.ValueDataType),
        (StructType sa, StructType sb) => sa.Fields.Count == sb.Fields.Count
            && sa.Fields.Zip(sb.Fields).All(p => p.First.Name == p.Second.Name && TypesEqual(p.First.DataType, p.Second.DataType)),
        (TimestampType ta, TimestampType tb) => ta.Unit == tb.Unit,
        _ => a.TypeId == b.TypeId,
    };
}
