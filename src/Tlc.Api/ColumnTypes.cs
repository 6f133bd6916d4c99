using System.Globalization;
using Tlc.Schemas;

namespace Tlc.Api;

/// <summary>
/// The column types a trainer names over HTTP, one word each: <c>float32</c>, <c>float64</c>, <c>int32</c>, <c>int64</c>,
/// <c>bool</c>, <c>string</c>, and <c>float32[N]</c> (an embedding of N values) — and their binary element sizes.
/// </summary>
internal static class ColumnTypes
{
    /// <summary>The schema of a type word; throws naming the column.</summary>
    public static ColumnSchema Parse(string column, string type)
    {
        if (type.StartsWith("float32[", StringComparison.Ordinal) && type.EndsWith(']')
            && int.TryParse(type.AsSpan(8, type.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width > 0)
        {
            return new EmbeddingSchema(width);
        }
        return type switch
        {
            "float32" => new Float32Schema(),
            "float64" => new Float64Schema(),
            "int32" => new Int32Schema(),
            "int64" => new Int64Schema(),
            "bool" => new BoolSchema(),
            "string" => new StringSchema(),
            _ => throw new ApiException(400, $"columns.{column}: '{type}' is not a column type (float32, float64, int32, int64, bool, string, float32[N])."),
        };
    }

    /// <summary>The type word of a schema the API writes, or null for one it cannot carry.</summary>
    public static string? Name(ColumnSchema schema) => schema switch
    {
        EmbeddingSchema { Dimensions: { } n } => $"float32[{n.ToString(CultureInfo.InvariantCulture)}]",
        Float32Schema => "float32",
        Float64Schema => "float64",
        Int32Schema => "int32",
        Int64Schema => "int64",
        BoolSchema => "bool",
        StringSchema => "string",
        ScalarSchema { Kind: ScalarKind.Int64 } => "int64",
        ScalarSchema { Kind: ScalarKind.Int32 } => "int32",
        ScalarSchema { Kind: ScalarKind.Float32 } => "float32",
        _ => null,
    };
}
