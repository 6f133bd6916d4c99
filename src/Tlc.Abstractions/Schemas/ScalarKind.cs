namespace Tlc.Schemas;

/// <summary>The primitive value kinds a column (or a field inside a struct) can hold.</summary>
public enum ScalarKind
{
    /// <summary>A boolean.</summary>
    Bool,
    /// <summary>A signed 8-bit integer.</summary>
    Int8,
    /// <summary>A signed 16-bit integer.</summary>
    Int16,
    /// <summary>A signed 32-bit integer.</summary>
    Int32,
    /// <summary>A signed 64-bit integer.</summary>
    Int64,
    /// <summary>An unsigned 8-bit integer.</summary>
    UInt8,
    /// <summary>An unsigned 16-bit integer.</summary>
    UInt16,
    /// <summary>An unsigned 32-bit integer.</summary>
    UInt32,
    /// <summary>An unsigned 64-bit integer.</summary>
    UInt64,
    /// <summary>A 32-bit float.</summary>
    Float32,
    /// <summary>A 64-bit float.</summary>
    Float64,
    /// <summary>A UTF-8 string.</summary>
    String,
    /// <summary>Raw bytes.</summary>
    Binary,
    /// <summary>A point in time (UTC, microseconds).</summary>
    Timestamp,
}

/// <summary>Names and classification of <see cref="ScalarKind"/> values.</summary>
public static class ScalarKinds
{
    /// <summary>The stable lower-case name used in object files and error messages ("int32", "float32", ...).</summary>
    public static string Name(this ScalarKind kind) => kind switch
    {
        ScalarKind.Bool => "bool",
        ScalarKind.Int8 => "int8",
        ScalarKind.Int16 => "int16",
        ScalarKind.Int32 => "int32",
        ScalarKind.Int64 => "int64",
        ScalarKind.UInt8 => "uint8",
        ScalarKind.UInt16 => "uint16",
        ScalarKind.UInt32 => "uint32",
        ScalarKind.UInt64 => "uint64",
        ScalarKind.Float32 => "float32",
        ScalarKind.Float64 => "float64",
        ScalarKind.String => "string",
        ScalarKind.Binary => "binary",
        ScalarKind.Timestamp => "timestamp",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a name written by <see cref="Name"/>.</summary>
    public static ScalarKind Parse(string name) => TryParse(name, out var kind)
        ? kind
        : throw new FormatException($"Unknown scalar kind '{name}'.");

    /// <summary>Parses a name written by <see cref="Name"/>.</summary>
    public static bool TryParse(string name, out ScalarKind kind)
    {
        foreach (var k in Enum.GetValues<ScalarKind>())
        {
            if (string.Equals(k.Name(), name, StringComparison.OrdinalIgnoreCase))
            {
                kind = k;
                return true;
            }
        }
        kind = default;
        return false;
    }

    /// <summary>True for the integer kinds.</summary>
    public static bool IsInteger(this ScalarKind kind) => kind is ScalarKind.Int8 or ScalarKind.Int16 or ScalarKind.Int32
        or ScalarKind.Int64 or ScalarKind.UInt8 or ScalarKind.UInt16 or ScalarKind.UInt32 or ScalarKind.UInt64;

    /// <summary>True for the floating-point kinds.</summary>
    public static bool IsFloat(this ScalarKind kind) => kind is ScalarKind.Float32 or ScalarKind.Float64;

    /// <summary>True for integer and floating-point kinds.</summary>
    public static bool IsNumeric(this ScalarKind kind) => kind.IsInteger() || kind.IsFloat();
}
