using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tlc.Metrics;

/// <summary>
/// The JSON object of a spec's arguments, read with errors that name the spec and the argument. For factories in
/// plugins as much as for the built-in ones.
/// </summary>
public sealed class SpecArguments
{
    private readonly JsonObject _json;

    private SpecArguments(JsonObject json, string what)
    {
        _json = json;
        What = what;
    }

    /// <summary>What the arguments belong to, for messages (e.g. "collector spec 'embeddings'").</summary>
    public string What { get; }

    /// <summary>The argument names given.</summary>
    public IEnumerable<string> Names => _json.Select(kv => kv.Key);

    /// <summary>Parses <paramref name="json"/> (null or empty: no arguments).</summary>
    /// <exception cref="MetricsSpecException">Not a JSON object.</exception>
    public static SpecArguments Parse(string? json, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(what);
        if (string.IsNullOrWhiteSpace(json))
        {
            return new SpecArguments([], what);
        }
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new MetricsSpecException($"{what}: the arguments are not valid JSON ({e.Message}).", e);
        }
        return node is JsonObject o
            ? new SpecArguments(o, what)
            : throw new MetricsSpecException($"{what}: the arguments must be a JSON object, got {node?.GetValueKind().ToString().ToLowerInvariant() ?? "null"}.");
    }

    /// <summary>Parses <paramref name="json"/> and fails on arguments other than <paramref name="known"/>.</summary>
    public static SpecArguments Parse(string? json, string what, params string[] known)
    {
        var arguments = Parse(json, what);
        arguments.RejectUnknown(known);
        return arguments;
    }

    /// <summary>True when the argument is given (even as null).</summary>
    public bool Has(string name) => _json.ContainsKey(name);

    /// <summary>True when the argument is given as null.</summary>
    public bool IsNull(string name) => _json.TryGetPropertyValue(name, out var v) && v is null;

    /// <summary>A number argument, or null.</summary>
    public double? Number(string name) => Read<double?>(name, n => n.GetValue<double>(), "a number");

    /// <summary>An integer argument (an integral number like 3.0 too), or null.</summary>
    public int? Integer(string name) => Read<int?>(name, n => n is JsonValue v && v.TryGetValue<int>(out var i) ? i
        : n.GetValue<double>() is var d && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d
        : throw new FormatException("not an integer"), "an integer");

    /// <summary>An array of integers, or null.</summary>
    public int[]? Integers(string name) => Ints(name);

    /// <summary>Class names: a list (class i is item i) or an object mapping values to names (<c>{"0": "background"}</c>).</summary>
    public Tlc.Schemas.ValueMap? Classes(string name) => Read(name, n => n switch
    {
        JsonArray a => Tlc.Schemas.ValueMap.FromClasses(a.Select(i => Item(i).GetValue<string>())),
        JsonObject o => Tlc.Schemas.ValueMap.FromNames(o.Select(kv => new KeyValuePair<long, string>(
            long.Parse(kv.Key, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture), Item(kv.Value).GetValue<string>()))),
        _ => throw new FormatException("not a list or object"),
    }, "a list of class names or an object of value → name");

    /// <summary>An object argument, or null.</summary>
    public JsonObject? Object(string name) => Read(name, n => n as JsonObject ?? throw new FormatException("not an object"), "an object");

    /// <summary>Fails on arguments other than <paramref name="known"/>.</summary>
    public void RejectUnknown(params string[] known)
    {
        var unknown = Names.Where(n => !known.Contains(n, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0)
        {
            throw new MetricsSpecException($"{What}: unknown argument(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} (known: {string.Join(", ", known)}).");
        }
    }

    /// <summary>The raw JSON of an argument, or null.</summary>
    public JsonNode? Node(string name) => _json.TryGetPropertyValue(name, out var node) ? node : null;

    /// <summary>A string argument, or null.</summary>
    public string? String(string name) => Read(name, n => n.GetValue<string>(), "a string");

    /// <summary>An integer argument, or null.</summary>
    public int? Int(string name) => Read<int?>(name, n => n.GetValue<int>(), "an integer");

    /// <summary>A boolean argument, or null.</summary>
    public bool? Bool(string name) => Read<bool?>(name, n => n.GetValue<bool>(), "true or false");

    /// <summary>An array of strings, or null.</summary>
    public string[]? Strings(string name) => Read(name, n => n is JsonValue single ? [single.GetValue<string>()] : n.AsArray().Select(i => Item(i).GetValue<string>()).ToArray(), "a string or an array of strings");

    /// <summary>An array of integers, or null.</summary>
    public int[]? Ints(string name) => Read(name, n => n.AsArray().Select(i => Item(i).GetValue<int>()).ToArray(), "an array of integers");

    /// <summary>An array of numbers, or null.</summary>
    public float[]? Floats(string name) => Read(name, n => n.AsArray().Select(i => Item(i).GetValue<float>()).ToArray(), "an array of numbers");

    private static JsonNode Item(JsonNode? item) => item ?? throw new FormatException("null item");

    /// <summary>An argument converted by <paramref name="read"/>; a failure names the argument and <paramref name="expected"/>.</summary>
    public T? Read<T>(string name, Func<JsonNode, T> read, string expected)
    {
        ArgumentNullException.ThrowIfNull(read);
        var node = Node(name);
        if (node is null)
        {
            return default;
        }
        try
        {
            return read(node);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or OverflowException or ArgumentException)
        {
            throw new MetricsSpecException($"{What}: argument '{name}' must be {expected}, got {node.ToJsonString()}.", e);
        }
    }
}
