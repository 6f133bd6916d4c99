using System.Text.Json;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>
/// Infers the schema of JSON values seen at one place (a column, a struct field or list elements): numbers are int64 when
/// every one is an integer that fits, else float64; booleans, strings; arrays are lists of their elements' type, or an
/// <see cref="EmbeddingSchema"/> when every array holds the same number of numbers and at least one is not an integer;
/// objects are structs of their keys in order of first appearance. A null, or a key missing from some objects, makes the
/// value nullable. Any other mix of types is an error naming the line where it first appears.
/// </summary>
internal sealed class JsonTypeInference
{
    private readonly string _path;
    private JsonKind _kind;
    private long _kindLine;
    private long _count;
    private long _nulls;
    private JsonTypeInference? _element;
    private int? _length;
    private bool _lengthVaries;
    private List<string>? _fieldOrder;
    private Dictionary<string, JsonTypeInference>? _fields;

    public JsonTypeInference(string path) => _path = path;

    private enum JsonKind
    {
        None,
        Bool,
        Int,
        Float,
        String,
        Array,
        Object,
    }

    public bool Nullable { get; private set; }

    /// <summary>Values observed (nulls included).</summary>
    public long Count => _count;

    public void ObserveMissing() => Nullable = true;

    public void Observe(JsonElement value, long line, ImportInput input)
    {
        _count++;
        var kind = value.ValueKind switch
        {
            JsonValueKind.Null or JsonValueKind.Undefined => JsonKind.None,
            JsonValueKind.True or JsonValueKind.False => JsonKind.Bool,
            JsonValueKind.Number => value.TryGetInt64(out _) ? JsonKind.Int : JsonKind.Float,
            JsonValueKind.String => JsonKind.String,
            JsonValueKind.Array => JsonKind.Array,
            _ => JsonKind.Object,
        };
        if (kind == JsonKind.None)
        {
            Nullable = true;
            _nulls++;
            return;
        }
        if (_kind == JsonKind.None)
        {
            _kind = kind;
            _kindLine = line;
        }
        else if (_kind != kind)
        {
            if (_kind is JsonKind.Int && kind is JsonKind.Float)
            {
                _kind = JsonKind.Float;
            }
            else if (!(_kind is JsonKind.Float && kind is JsonKind.Int))
            {
                throw input.Error($"line {line}, column '{_path}'",
                    $"{Name(kind)} here, but {Name(_kind)} on line {_kindLine}; declare the column in Schema");
            }
        }
        switch (kind)
        {
            case JsonKind.Array:
                _element ??= new JsonTypeInference(_path + "[]");
                var length = 0;
                foreach (var item in value.EnumerateArray())
                {
                    _element.Observe(item, line, input);
                    length++;
                }
                if (_length is { } known && known != length)
                {
                    _lengthVaries = true;
                }
                _length ??= length;
                break;
            case JsonKind.Object:
                _fieldOrder ??= [];
                _fields ??= new Dictionary<string, JsonTypeInference>(StringComparer.Ordinal);
                foreach (var property in value.EnumerateObject())
                {
                    if (!_fields.TryGetValue(property.Name, out var field))
                    {
                        _fields[property.Name] = field = new JsonTypeInference($"{_path}.{property.Name}");
                        _fieldOrder.Add(property.Name);
                    }
                    field.Observe(property.Value, line, input);
                }
                break;
        }
    }

    /// <summary>The inferred schema; a value seen only as null is a nullable string.</summary>
    public ColumnSchema ToSchema(ImportInput input)
    {
        ColumnSchema schema = _kind switch
        {
            JsonKind.None => new StringSchema(),
            JsonKind.Bool => new BoolSchema(),
            JsonKind.Int => new Int64Schema(),
            JsonKind.Float => new Float64Schema(),
            JsonKind.String => new StringSchema(),
            JsonKind.Array => ArraySchema(input),
            _ => ObjectSchema(input),
        };
        return Nullable || _kind == JsonKind.None ? schema.AsNullable() : schema;
    }

    private ColumnSchema ArraySchema(ImportInput input)
    {
        var element = _element!;
        if (element._kind == JsonKind.None && !element.Nullable)
        {
            // Only empty arrays seen.
            return new ListSchema(new StringSchema { Nullable = true });
        }
        if (element._kind == JsonKind.Float && !element.Nullable && !_lengthVaries && _length is > 0 and var n)
        {
            return new EmbeddingSchema(n);
        }
        return new ListSchema(element.ToSchema(input));
    }

    private StructSchema ObjectSchema(ImportInput input)
    {
        if (_fieldOrder is not { Count: > 0 })
        {
            throw input.Error($"line {_kindLine}, column '{_path}'", "only empty objects, which give no struct fields; declare the column in Schema");
        }
        return new StructSchema(_fieldOrder.Select(name =>
        {
            var field = _fields![name];
            if (field._count < _count - _nulls)
            {
                field.ObserveMissing();
            }
            return new SchemaField(name, field.ToSchema(input));
        }));
    }

    private static string Name(JsonKind kind) => kind switch
    {
        JsonKind.Bool => "a boolean",
        JsonKind.Int => "an integer",
        JsonKind.Float => "a number",
        JsonKind.String => "a string",
        JsonKind.Array => "an array",
        JsonKind.Object => "an object",
        _ => "null",
    };
}
