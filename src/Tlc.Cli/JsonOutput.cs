using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Tables.Arrow;

namespace Tlc.Cli;

/// <summary>Stable JSON for --json output.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(JsonNode? node) => Console.Out.WriteLine(node?.ToJsonString(Options) ?? "null");

    /// <summary>A stored value as JSON: structs as objects, lists as arrays, bytes as base64, times as ISO 8601, NaN as a string.</summary>
    public static JsonNode? Value(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        float f when !float.IsFinite(f) => JsonValue.Create(f.ToString(CultureInfo.InvariantCulture)),
        double d when !double.IsFinite(d) => JsonValue.Create(d.ToString(CultureInfo.InvariantCulture)),
        float f => JsonValue.Create(f),
        double d => JsonValue.Create(d),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        short s => JsonValue.Create(s),
        sbyte s => JsonValue.Create(s),
        byte b => JsonValue.Create(b),
        ushort u => JsonValue.Create(u),
        uint u => JsonValue.Create(u),
        ulong u => JsonValue.Create(u),
        byte[] bytes => JsonValue.Create(Convert.ToBase64String(bytes)),
        DateTimeOffset t => JsonValue.Create(t.ToString("O", CultureInfo.InvariantCulture)),
        IReadOnlyDictionary<string, object?> d => new JsonObject(d.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, Value(kv.Value)))),
        System.Collections.IEnumerable e => new JsonArray(e.Cast<object?>().Select(Value).ToArray()),
        _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
    };

    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        StructValue or System.Collections.IEnumerable when value is not string => Value(value)!.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
