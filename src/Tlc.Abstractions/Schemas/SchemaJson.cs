using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tlc.Schemas;

/// <summary>
/// Writes column schemas to the JSON of object files and reads them back, keeping each user-facing class
/// (<see cref="ImageSchema"/>, <see cref="CategoricalLabelSchema"/>, ...). Unknown type names read back as their structural
/// kind with the type name kept, so files written by newer versions stay readable.
/// </summary>
public static class SchemaJson
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>Writes <paramref name="schema"/> as a JSON object.</summary>
    public static JsonObject ToJson(ColumnSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var o = new JsonObject { ["type"] = schema.Type };
        switch (schema)
        {
            case ScalarSchema s:
                o["kind"] = s.Kind.Name();
                if (s.Min is { } min) o["min"] = min;
                if (s.Max is { } max) o["max"] = max;
                if (s.DefaultValue is { } d) o["default"] = JsonValue.Create(JsonSerializer.SerializeToElement(d));
                if (s.ValueMap is { } map) o["value_map"] = ValueMapToJson(map);
                if (s is ForeignTableIdSchema f) o["foreign_table_url"] = f.ForeignTableUrl;
                break;
            case ListSchema l:
                o["element"] = ToJson(l.Element);
                if (l.FixedSize is { } n) o["fixed_size"] = n;
                break;
            case StructSchema st:
                var fields = new JsonArray();
                foreach (var field in st.Fields)
                {
                    fields.Add(new JsonObject { ["name"] = field.Name, ["schema"] = ToJson(field.Schema) });
                }
                o["fields"] = fields;
                if (st is AnnotationSchema a && a.Attributes.Count > 0)
                {
                    var attributes = new JsonObject();
                    foreach (var (k, v) in a.Attributes) attributes[k] = v;
                    o["attributes"] = attributes;
                }
                break;
            default:
                throw new NotSupportedException($"Cannot write schema type {schema.GetType().Name}.");
        }
        if (schema.SampleType is { } sampleType) o["sample_type"] = sampleType;
        if (schema.DisplayName is { } displayName) o["display_name"] = displayName;
        if (schema.Description is { } description) o["description"] = description;
        if (!schema.Writable) o["writable"] = false;
        if (schema.Hidden) o["hidden"] = true;
        if (schema.Nullable) o["nullable"] = true;
        return o;
    }

    /// <summary>Writes <paramref name="schema"/> as compact JSON text.</summary>
    public static string ToJsonString(ColumnSchema schema) => ToJson(schema).ToJsonString(Compact);

    /// <summary>Returns a deep copy of <paramref name="schema"/>.</summary>
    public static T Clone<T>(T schema) where T : ColumnSchema => (T)FromJson(ToJson(schema), "schema");

    /// <summary>Reads a schema written by <see cref="ToJson"/>; <paramref name="where"/> names the place for errors.</summary>
    public static ColumnSchema FromJson(JsonNode? node, string where)
    {
        if (node is not JsonObject o)
        {
            throw new FormatException($"{where}: expected a schema object.");
        }
        var type = GetString(o, "type", where) ?? throw new FormatException($"{where}: schema has no 'type'.");
        var sampleType = GetString(o, "sample_type", where);
        ColumnSchema schema;
        if (o.ContainsKey("kind"))
        {
            schema = ReadScalar(o, type, sampleType, where);
        }
        else if (o.ContainsKey("element"))
        {
            var element = FromJson(o["element"], $"{where}.element");
            int? fixedSize = o["fixed_size"] is { } fs ? fs.GetValue<int>() : null;
            schema = type switch
            {
                "embedding" => new EmbeddingSchema(fixedSize),
                "categorical_label_list" when element is ScalarSchema { ValueMap: { } vm } => new CategoricalLabelListSchema(vm),
                "list" => new ListSchema(element, fixedSize),
                _ => new ListSchema(element, fixedSize, type),
            };
        }
        else if (o["fields"] is JsonArray fieldsNode)
        {
            var fields = new List<SchemaField>();
            var i = 0;
            foreach (var f in fieldsNode)
            {
                var fo = f as JsonObject ?? throw new FormatException($"{where}.fields[{i}]: expected an object.");
                var name = GetString(fo, "name", where) ?? throw new FormatException($"{where}.fields[{i}]: field has no name.");
                fields.Add(new SchemaField(name, FromJson(fo["schema"], $"{where}.{name}")));
                i++;
            }
            if (o["attributes"] is JsonObject attrs || (type != "struct" && sampleType == type))
            {
                var attributes = new Dictionary<string, string>();
                if (o["attributes"] is JsonObject ao)
                {
                    foreach (var (k, v) in ao) attributes[k] = v?.GetValue<string>() ?? "";
                }
                schema = new AnnotationSchema(type, fields, attributes);
            }
            else
            {
                schema = type == "struct" ? new StructSchema(fields) : new StructSchema(fields, type);
            }
        }
        else
        {
            throw new FormatException($"{where}: schema of type '{type}' has no 'kind', 'element' or 'fields'.");
        }
        schema.SetCommon(
            GetString(o, "display_name", where),
            GetString(o, "description", where),
            o["writable"]?.GetValue<bool>() ?? true,
            o["hidden"]?.GetValue<bool>() ?? false,
            o["nullable"]?.GetValue<bool>() ?? false,
            sampleType ?? schema.SampleType);
        return schema;
    }

    private static ColumnSchema ReadScalar(JsonObject o, string type, string? sampleType, string where)
    {
        var kindName = GetString(o, "kind", where)!;
        if (!ScalarKinds.TryParse(kindName, out var kind))
        {
            throw new FormatException($"{where}: unknown scalar kind '{kindName}'.");
        }
        var valueMap = o["value_map"] is { } vm ? ValueMapFromJson(vm, $"{where}.value_map") : null;
        ScalarSchema schema = type switch
        {
            "binary" => new BytesSchema(),
            "image" => new ImageSchema(ImageSampleTypes.Parse(sampleType)),
            _ when ColumnTypeNames.TryCreate(type, out var named) => named,
            "semantic_segmentation" => new SemanticSegmentationSchema(valueMap ?? new ValueMap([]), ImageSampleTypes.Parse(sampleType)),
            "video_url" => new VideoUrlSchema(),
            "categorical_label" when valueMap is not null => new CategoricalLabelSchema(valueMap),
            "confidence" => new ConfidenceSchema(),
            "fraction" => new FractionSchema(),
            "iou" => new IoUSchema(),
            "probability" => new ProbabilitySchema(),
            "epoch" => new EpochSchema(),
            "example_id" => new ExampleIdSchema(),
            "sample_weight" => new SampleWeightSchema(),
            "foreign_table_id" => new ForeignTableIdSchema(GetString(o, "foreign_table_url", where)
                ?? throw new FormatException($"{where}: foreign_table_id needs 'foreign_table_url'.")),
            _ => new ScalarSchema(kind, type),
        };
        if (schema.Kind != kind)
        {
            throw new FormatException($"{where}: schema type '{type}' stores {schema.Kind.Name()}, not {kind.Name()}.");
        }
        // Min, max, default and value map are stored per column and may differ from the schema's own defaults.
        schema.SetScalar(
            o["min"]?.GetValue<double>(),
            o["max"]?.GetValue<double>(),
            o["default"] is { } d ? ReadDefault(d, kind) : null,
            valueMap);
        return schema;
    }

    private static object? ReadDefault(JsonNode node, ScalarKind kind) => kind switch
    {
        ScalarKind.Bool => node.GetValue<bool>(),
        ScalarKind.Float32 => (float)node.GetValue<double>(),
        ScalarKind.Float64 => node.GetValue<double>(),
        ScalarKind.String => node.GetValue<string>(),
        _ when kind.IsInteger() => node.GetValue<long>(),
        _ => node.ToJsonString(),
    };

    /// <summary>Writes a value map as <c>{"value": {"internal_name": ...}}</c>.</summary>
    public static JsonObject ValueMapToJson(ValueMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var o = new JsonObject();
        foreach (var (value, element) in map)
        {
            var e = new JsonObject { ["internal_name"] = element.InternalName };
            if (element.DisplayName is { } dn) e["display_name"] = dn;
            if (element.Description is { } de) e["description"] = de;
            if (element.DisplayColor is { } dc) e["display_color"] = dc;
            o[value.ToString(CultureInfo.InvariantCulture)] = e;
        }
        return o;
    }

    /// <summary>Reads a value map written by <see cref="ValueMapToJson"/>.</summary>
    public static ValueMap ValueMapFromJson(JsonNode node, string where)
    {
        if (node is not JsonObject o)
        {
            throw new FormatException($"{where}: expected an object.");
        }
        var entries = new List<KeyValuePair<long, MapElement>>();
        foreach (var (key, value) in o)
        {
            if (!long.TryParse(key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"{where}: key '{key}' is not an integer.");
            }
            var e = value as JsonObject ?? throw new FormatException($"{where}.{key}: expected an object.");
            entries.Add(new(number, new MapElement(
                GetString(e, "internal_name", where) ?? throw new FormatException($"{where}.{key}: no internal_name."),
                GetString(e, "display_name", where),
                GetString(e, "description", where),
                GetString(e, "display_color", where))));
        }
        return new ValueMap(entries);
    }

    private static string? GetString(JsonObject o, string name, string where)
    {
        var node = o[name];
        if (node is null)
        {
            return null;
        }
        return node is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new FormatException($"{where}: '{name}' must be a string.");
    }
}
