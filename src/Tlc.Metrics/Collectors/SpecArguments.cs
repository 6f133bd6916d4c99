using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Schemas;

namespace Tlc.Metrics.Collectors;

/// <summary>
/// Reads the JSON arguments of a collector or model spec; every error names the spec and the argument.
/// </summary>
internal sealed class SpecArguments
{
    private readonly JsonObject _json;
    private readonly string _what;

    private SpecArguments(JsonObject json, string what)
    {
        _json = json;
        _what = what;
    }

    /// <summary>Parses <paramref name="json"/> (null or empty: no arguments); <paramref name="what"/> names the spec in errors.</summary>
    public static SpecArguments Parse(string? json, string what, params string[] known)
    {
        JsonObject obj;
        if (string.IsNullOrWhiteSpace(json))
        {
            obj = [];
        }
        else
        {
            try
            {
                obj = JsonNode.Parse(json) as JsonObject ?? throw new ArgumentException($"{what}: the arguments must be a JSON object, got {Shorten(json)}.");
            }
            catch (JsonException e)
            {
                throw new ArgumentException($"{what}: the arguments are not valid JSON ({e.Message}).", e);
            }
        }
        foreach (var (key, _) in obj)
        {
            if (Array.IndexOf(known, key) < 0)
            {
                throw new ArgumentException($"{what}: unknown argument '{key}' (known: {string.Join(", ", known)}).");
            }
        }
        return new SpecArguments(obj, what);
    }

    public bool Has(string name) => _json.ContainsKey(name);

    public bool IsNull(string name) => _json.TryGetPropertyValue(name, out var v) && v is null;

    public string? String(string name) => Get(name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw Bad(name, "a string", other),
    };

    public IReadOnlyList<string>? Strings(string name) => Get(name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        JsonArray a => a.Select((e, i) => e is JsonValue ev && ev.TryGetValue<string>(out var s) ? s : throw Bad($"{name}[{i}]", "a string", e)).ToArray(),
        var other => throw Bad(name, "a string or a list of strings", other),
    };

    public double? Number(string name) => Get(name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<double>(out var d) => d,
        var other => throw Bad(name, "a number", other),
    };

    public int? Integer(string name) => Get(name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue => (int)d,
        var other => throw Bad(name, "an integer", other),
    };

    public bool? Bool(string name) => Get(name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        var other => throw Bad(name, "true or false", other),
    };

    public float[]? Floats(string name) => Get(name) switch
    {
        null => null,
        JsonArray a => a.Select((e, i) => e is JsonValue ev && ev.TryGetValue<double>(out var d) ? (float)d : throw Bad($"{name}[{i}]", "a number", e)).ToArray(),
        var other => throw Bad(name, "a list of numbers", other),
    };

    public int[]? Integers(string name) => Get(name) switch
    {
        null => null,
        JsonArray a => a.Select((e, i) => e is JsonValue ev && ev.TryGetValue<int>(out var n) ? n : throw Bad($"{name}[{i}]", "an integer", e)).ToArray(),
        var other => throw Bad(name, "a list of integers", other),
    };

    /// <summary>Class names: a list (class i is item i) or an object mapping values to names (<c>{"0": "background"}</c>).</summary>
    public ValueMap? Classes(string name) => Get(name) switch
    {
        null => null,
        JsonArray => ValueMap.FromClasses(Strings(name)!),
        JsonObject o => ValueMap.FromNames(o.Select(kv =>
        {
            if (!long.TryParse(kv.Key, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var key))
            {
                throw new ArgumentException($"{_what}: argument '{name}' maps '{kv.Key}', which is not an integer class value.");
            }
            return kv.Value is JsonValue v && v.TryGetValue<string>(out var s)
                ? new KeyValuePair<long, string>(key, s)
                : throw Bad($"{name}.{kv.Key}", "a class name", kv.Value);
        })),
        var other => throw Bad(name, "a list of class names or an object of value → name", other),
    };

    public JsonObject? Object(string name) => Get(name) switch
    {
        null => null,
        JsonObject o => o,
        var other => throw Bad(name, "an object", other),
    };

    private JsonNode? Get(string name) => _json.TryGetPropertyValue(name, out var v) ? v : null;

    private ArgumentException Bad(string name, string expected, JsonNode? got) =>
        new($"{_what}: argument '{name}' must be {expected}, got {Shorten(got?.ToJsonString() ?? "null")}.");

    private static string Shorten(string text) => text.Length > 60 ? text[..60] + "…" : text;
}
