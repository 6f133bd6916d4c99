using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>
/// Maps the Arrow type of a column read from a file (Parquet) to the Tlc schema that stores it: integers, floats, bools
/// keep their width; every string type (string, large_string, string_view, dictionary-encoded strings) is a string;
/// binary types are bytes; timestamps of any unit, date32 and date64 are UTC timestamps (microseconds; timestamps without
/// a time zone are taken as UTC); decimal128 is float64 (rounded); half floats are float32; lists (large and fixed-size
/// too) and structs map element- and field-wise. Nullability follows the Arrow field.
/// </summary>
internal static class ArrowColumnMapping
{
    /// <summary>The schema of a field; <see cref="NotSupportedException"/> names a type Tlc has no column for.</summary>
    public static ColumnSchema ToColumnSchema(Field field)
    {
        var schema = ToColumnSchema(field.DataType);
        return field.IsNullable ? schema.AsNullable() : schema;
    }

    private static ColumnSchema ToColumnSchema(IArrowType type) => type switch
    {
        BooleanType => new BoolSchema(),
        Int8Type => new Int8Schema(),
        Int16Type => new Int16Schema(),
        Int32Type => new Int32Schema(),
        Int64Type => new Int64Schema(),
        UInt8Type => new UInt8Schema(),
        UInt16Type => new UInt16Schema(),
        UInt32Type => new UInt32Schema(),
        UInt64Type => new UInt64Schema(),
        HalfFloatType or FloatType => new Float32Schema(),
        DoubleType or Decimal128Type => new Float64Schema(),
        StringType or LargeStringType or StringViewType => new StringSchema(),
        BinaryType or LargeBinaryType or BinaryViewType or FixedSizeBinaryType => new BytesSchema(),
        TimestampType or Date32Type or Date64Type => new DateTimeSchema(),
        DictionaryType d => ToColumnSchema(d.ValueType),
        NullType => new StringSchema { Nullable = true },
        FixedSizeListType f => new ListSchema(ToColumnSchema(f.ValueField), f.ListSize),
        ListType l => new ListSchema(ToColumnSchema(l.ValueField)),
        LargeListType l => new ListSchema(ToColumnSchema(l.ValueField)),
        StructType s when s.Fields.Count > 0 => new StructSchema(s.Fields.Select(f => new SchemaField(f.Name, ToColumnSchema(f)))),
        _ => throw new NotSupportedException($"the Arrow type {type.Name} has no Tlc column type"),
    };
}
