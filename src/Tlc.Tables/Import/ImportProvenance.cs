using System.Text.Json.Nodes;

namespace Tlc.Tables.Import;

/// <summary>The <c>source</c> an importer stores in the object file: the format, the input URL and a summary of the options.</summary>
internal static class ImportProvenance
{
    public static JsonObject Source(string format, Url? input, ImportOptions options, JsonObject? details = null)
    {
        var summary = details ?? [];
        if (options.Schema is { Count: > 0 } overrides)
        {
            summary["schema_overrides"] = new JsonArray(overrides.Keys.Order(StringComparer.Ordinal).Select(k => (JsonNode?)JsonValue.Create(k)).ToArray());
        }
        summary["add_weight_column"] = options.AddWeightColumn;
        var source = new JsonObject { ["format"] = format };
        if (input is { } url)
        {
            source["url"] = url.Value;
        }
        source["options"] = summary;
        return source;
    }
}
