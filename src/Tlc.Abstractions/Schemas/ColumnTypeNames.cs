namespace Tlc.Schemas;

/// <summary>
/// Column types named by one word, as a user writes them on a command line (e.g. <c>tlc import csv --types id=int64</c>):
/// the scalar type names of the schema format (<see cref="Words"/>).
/// </summary>
public static class ColumnTypeNames
{
    /// <summary>The words understood, in the order they are listed in messages.</summary>
    public static IReadOnlyList<string> Words { get; } =
        ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64", "string", "timestamp", "url", "image"];

    /// <summary>The schema a word names.</summary>
    /// <exception cref="FormatException">The word names no type (the message lists those that do).</exception>
    public static ColumnSchema Parse(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return TryCreate(word.Trim().ToLowerInvariant(), out var schema)
            ? schema
            : throw new FormatException($"'{word}' is not a column type ({string.Join(", ", Words)}).");
    }

    /// <summary>The schema of a type name that needs no more than its name (the schema format's reader shares these).</summary>
    internal static bool TryCreate(string type, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ScalarSchema? schema)
    {
        schema = type switch
        {
            "bool" => new BoolSchema(),
            "int8" => new Int8Schema(),
            "int16" => new Int16Schema(),
            "int32" => new Int32Schema(),
            "int64" => new Int64Schema(),
            "uint8" => new UInt8Schema(),
            "uint16" => new UInt16Schema(),
            "uint32" => new UInt32Schema(),
            "uint64" => new UInt64Schema(),
            "float32" => new Float32Schema(),
            "float64" => new Float64Schema(),
            "string" => new StringSchema(),
            "timestamp" => new DateTimeSchema(),
            "url" => new UrlSchema(),
            "image" => new ImageSchema(),
            _ => null,
        };
        return schema is not null;
    }
}
