using System.Text.Json;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>
/// One feature of a Hugging Face <c>dataset_info.json</c> (<c>{"_type": "ClassLabel", "names": [...]}</c>, ...) as a column
/// schema plus the conversion of its Arrow values into what the table writer takes.
/// </summary>
/// <remarks>
/// Supported: <c>Value</c> (bool, integers, floats, strings, binary, timestamps, dates), <c>ClassLabel</c> (label -1, "no
/// label", becomes null), <c>Sequence</c>/<c>List</c>/<c>LargeList</c> and JSON lists of a feature (lists; a
/// <c>Sequence</c> of a dict, stored by <c>datasets</c> as a struct of lists, is not supported), dicts of features
/// (structs) and, as a column, <c>Image</c> (the image bytes, else its path).
/// </remarks>
internal sealed class HuggingFaceFeature
{
    private static readonly string Supported =
        "supported: Value, ClassLabel, Sequence, List, LargeList, Image (as a column), lists and dicts of these";

    private HuggingFaceFeature(ColumnSchema schema, Func<object?, object?>? convert)
    {
        Schema = schema;
        Convert = convert;
    }

    /// <summary>The column (or field, or element) schema.</summary>
    public ColumnSchema Schema { get; }

    /// <summary>Converts a value read from Arrow; null where the value passes unchanged.</summary>
    public Func<object?, object?>? Convert { get; }

    /// <summary>Reads the feature at <paramref name="path"/> of <paramref name="file"/>.</summary>
    /// <param name="file">The dataset_info.json URL, for errors.</param>
    /// <param name="path">Where in the file, e.g. "features.image".</param>
    /// <param name="feature">The feature's JSON.</param>
    /// <param name="topLevel">True for a column (only columns may be images).</param>
    /// <param name="resolvePath">Turns an image's stored path into a URL string.</param>
    public static HuggingFaceFeature Read(string file, string path, JsonElement feature, bool topLevel, Func<string, string> resolvePath) =>
        Read(file, path, feature, topLevel, nullable: true, resolvePath);

    /// <summary>Reads a feature; <paramref name="nullable"/> is false for list elements (never null in <c>datasets</c>).</summary>
    private static HuggingFaceFeature Read(string file, string path, JsonElement feature, bool topLevel, bool nullable,
        Func<string, string> resolvePath)
    {
        if (feature.ValueKind == JsonValueKind.Array)
        {
            if (feature.GetArrayLength() != 1)
            {
                throw new ImportException(file, path, "a list feature is written as a JSON array of one feature");
            }
            return List(Read(file, path + "[0]", feature[0], false, false, resolvePath), null, nullable);
        }
        if (feature.ValueKind != JsonValueKind.Object)
        {
            throw new ImportException(file, path, $"expected a feature object, got a {feature.ValueKind.ToString().ToLowerInvariant()}");
        }
        if (!feature.TryGetProperty("_type", out var typeElement))
        {
            return Struct(file, path, feature, nullable, resolvePath);
        }
        var type = typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : typeElement.GetRawText();
        switch (type)
        {
            case "Value":
                return Value(file, path, feature, nullable);
            case "ClassLabel":
                return ClassLabel(file, path, feature, nullable);
            case "Sequence":
            case "List":
            case "LargeList":
            {
                if (!feature.TryGetProperty("feature", out var inner))
                {
                    throw new ImportException(file, path, $"the {type} feature has no 'feature'");
                }
                if (type == "Sequence" && inner.ValueKind == JsonValueKind.Object && !inner.TryGetProperty("_type", out _))
                {
                    throw new ImportException(file, path,
                        "the feature type 'Sequence' of a dict (stored as a struct of lists) is not supported; use List of a dict");
                }
                int? length = feature.TryGetProperty("length", out var l) && l.TryGetInt32(out var n) && n > 0 ? n : null;
                return List(Read(file, path + ".feature", inner, false, false, resolvePath), length, nullable);
            }
            case "Image" when topLevel:
                return new HuggingFaceFeature(new ImageSchema(ImageSampleType.Png) { Nullable = true }, v => Image(v, resolvePath));
            case "Image":
                throw new ImportException(file, path, "the feature type 'Image' is supported only as a column, not nested in a list or dict");
            default:
                throw new ImportException(file, path, $"the feature type '{type}' is not supported ({Supported})");
        }
    }

    private static HuggingFaceFeature Value(string file, string path, JsonElement feature, bool nullable)
    {
        var dtype = feature.TryGetProperty("dtype", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
        ScalarSchema schema = dtype switch
        {
            "bool" => new BoolSchema { Nullable = nullable },
            "int8" => new Int8Schema { Nullable = nullable },
            "int16" => new Int16Schema { Nullable = nullable },
            "int32" => new Int32Schema { Nullable = nullable },
            "int64" => new Int64Schema { Nullable = nullable },
            "uint8" => new UInt8Schema { Nullable = nullable },
            "uint16" => new UInt16Schema { Nullable = nullable },
            "uint32" => new UInt32Schema { Nullable = nullable },
            "uint64" => new UInt64Schema { Nullable = nullable },
            "float16" or "float32" or "float" => new Float32Schema { Nullable = nullable },
            "float64" or "double" => new Float64Schema { Nullable = nullable },
            "string" or "large_string" => new StringSchema { Nullable = nullable },
            "binary" or "large_binary" => new BytesSchema { Nullable = nullable },
            "date32" or "date64" => new DateTimeSchema { Nullable = nullable },
            _ when dtype.StartsWith("timestamp[", StringComparison.Ordinal) => new DateTimeSchema { Nullable = nullable },
            _ => throw new ImportException(file, path, $"the feature type 'Value' with dtype '{dtype}' is not supported"),
        };
        return new HuggingFaceFeature(schema, null);
    }

    private static HuggingFaceFeature ClassLabel(string file, string path, JsonElement feature, bool nullable)
    {
        if (!feature.TryGetProperty("names", out var names) || names.ValueKind != JsonValueKind.Array)
        {
            throw new ImportException(file, path, "the ClassLabel feature has no 'names' list");
        }
        if (names.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.String))
        {
            throw new ImportException(file, path, "the ClassLabel names must be strings");
        }
        var classes = names.EnumerateArray().Select(n => n.GetString()!).ToList();
        return new HuggingFaceFeature(new CategoricalLabelSchema(classes) { Nullable = nullable }, v => v switch
        {
            null => null,
            long l => l == -1 ? null : l,
            int i => i == -1 ? null : i,
            _ => v,
        });
    }

    private static HuggingFaceFeature List(HuggingFaceFeature element, int? length, bool nullable)
    {
        ListSchema schema = element.Schema is CategoricalLabelSchema label && length is null
            ? new CategoricalLabelListSchema(label.ValueMap!) { Nullable = nullable }
            : new ListSchema(element.Schema, length) { Nullable = nullable };
        if (element.Convert is not { } convert)
        {
            return new HuggingFaceFeature(schema, null);
        }
        return new HuggingFaceFeature(schema, v => v is System.Collections.IEnumerable items and not string and not byte[]
            ? items.Cast<object?>().Select(convert).ToList()
            : v);
    }

    private static HuggingFaceFeature Struct(string file, string path, JsonElement feature, bool nullable, Func<string, string> resolvePath)
    {
        var fields = new List<(string Name, HuggingFaceFeature Feature)>();
        foreach (var property in feature.EnumerateObject())
        {
            fields.Add((property.Name, Read(file, $"{path}.{property.Name}", property.Value, false, true, resolvePath)));
        }
        if (fields.Count == 0)
        {
            throw new ImportException(file, path, "an empty dict feature has no fields");
        }
        var schema = new StructSchema(fields.Select(f => new SchemaField(f.Name, f.Feature.Schema))) { Nullable = nullable };
        return new HuggingFaceFeature(schema, v => v is IReadOnlyDictionary<string, object?> d
            ? fields.ToDictionary(f => f.Name, f => f.Feature.Convert is { } c ? c(d.GetValueOrDefault(f.Name)) : d.GetValueOrDefault(f.Name))
            : v);
    }

    /// <summary>An image value <c>{bytes, path}</c>: the encoded bytes, else the path as a URL, else null.</summary>
    private static object? Image(object? value, Func<string, string> resolvePath) => value switch
    {
        null => null,
        IReadOnlyDictionary<string, object?> d when d.GetValueOrDefault("bytes") is byte[] { Length: > 0 } bytes => bytes,
        IReadOnlyDictionary<string, object?> d when d.GetValueOrDefault("path") is string { Length: > 0 } p => resolvePath(p),
        IReadOnlyDictionary<string, object?> => null,
        _ => value,
    };
}
