using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tlc.Tables.Import;

/// <summary>Turns a System.Text.Json parse error into an <see cref="ImportException"/> at its 1-based line and column.</summary>
internal static partial class MalformedJson
{
    public static ImportException Error(string file, JsonException e, string? hint = null)
    {
        var problem = PositionSuffix().Replace(e.Message, "").TrimEnd();
        var column = e.BytePositionInLine is { } p ? $" (column {p + 1})" : "";
        return new ImportException(file, e.LineNumber is { } n ? $"line {n + 1}" : null, $"malformed JSON{column}: {problem}{hint}", e);
    }

    [GeneratedRegex(@"\s*(Path: \S*\s*\|\s*)?LineNumber: \d+ \| BytePositionInLine: \d+\.?")]
    private static partial Regex PositionSuffix();
}
