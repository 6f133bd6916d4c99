using System.Collections;
using System.Text.Json.Nodes;

namespace Tlc.Schemas;

/// <summary>
/// The ordered columns of a table: name → <see cref="ColumnSchema"/>. Build it like a dictionary:
/// <c>new TableSchema { ["image"] = new ImageSchema(), ["label"] = new CategoricalLabelSchema(classes) }</c>.
/// </summary>
public sealed class TableSchema : IEnumerable<KeyValuePair<string, ColumnSchema>>
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, ColumnSchema> _columns = new(StringComparer.Ordinal);

    /// <summary>Creates an empty schema.</summary>
    public TableSchema()
    {
    }

    /// <summary>Creates a schema from ordered columns.</summary>
    public TableSchema(IEnumerable<KeyValuePair<string, ColumnSchema>> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        foreach (var (name, schema) in columns)
        {
            Add(name, schema);
        }
    }

    /// <summary>The column names in order.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>The number of columns.</summary>
    public int Count => _names.Count;

    /// <summary>Gets a column's schema, or adds/replaces it (a new column goes last).</summary>
    public ColumnSchema this[string name]
    {
        get => _columns.TryGetValue(name, out var s) ? s : throw new KeyNotFoundException($"The table has no column '{name}'. Columns: {string.Join(", ", _names)}.");
        set
        {
            ValidateName(name);
            ArgumentNullException.ThrowIfNull(value);
            if (!_columns.ContainsKey(name))
            {
                _names.Add(name);
            }
            _columns[name] = value;
        }
    }

    /// <summary>Adds a column; a name used twice is an error.</summary>
    public void Add(string name, ColumnSchema schema)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(schema);
        if (!_columns.TryAdd(name, schema))
        {
            throw new ArgumentException($"The column '{name}' appears twice.", nameof(name));
        }
        _names.Add(name);
    }

    /// <summary>True when a column named <paramref name="name"/> exists.</summary>
    public bool Contains(string name) => _columns.ContainsKey(name);

    /// <summary>The column's schema, or null.</summary>
    public ColumnSchema? Find(string name) => _columns.GetValueOrDefault(name);

    /// <summary>Removes a column; returns false when it did not exist.</summary>
    public bool Remove(string name)
    {
        if (!_columns.Remove(name))
        {
            return false;
        }
        _names.Remove(name);
        return true;
    }

    /// <summary>The 0-based position of a column, or -1.</summary>
    public int IndexOf(string name) => _names.IndexOf(name);

    /// <summary>Returns a copy.</summary>
    public TableSchema Clone() => new(this.Select(kv => new KeyValuePair<string, ColumnSchema>(kv.Key, SchemaJson.Clone(kv.Value))));

    /// <summary>Writes the schema as <c>{"columns": [{"name", "schema"}]}</c>.</summary>
    public JsonObject ToJson()
    {
        var columns = new JsonArray();
        foreach (var name in _names)
        {
            columns.Add(new JsonObject { ["name"] = name, ["schema"] = SchemaJson.ToJson(_columns[name]) });
        }
        return new JsonObject { ["columns"] = columns };
    }

    /// <summary>Reads a schema written by <see cref="ToJson"/>.</summary>
    public static TableSchema FromJson(JsonNode? node, string where)
    {
        if (node is not JsonObject { } o || o["columns"] is not JsonArray columns)
        {
            throw new FormatException($"{where}: expected {{\"columns\": [...]}}.");
        }
        var schema = new TableSchema();
        var i = 0;
        foreach (var c in columns)
        {
            if (c is not JsonObject co || co["name"]?.GetValue<string>() is not { } name)
            {
                throw new FormatException($"{where}.columns[{i}]: expected {{\"name\", \"schema\"}}.");
            }
            schema.Add(name, SchemaJson.FromJson(co["schema"], $"{where}.{name}"));
            i++;
        }
        return schema;
    }

    /// <summary>True when both schemas have the same columns in the same order with equivalent schemas.</summary>
    public bool IsEquivalentTo(TableSchema other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return _names.SequenceEqual(other._names) && _names.All(n => _columns[n].IsEquivalentTo(other._columns[n]));
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, ColumnSchema>> GetEnumerator() =>
        _names.Select(n => new KeyValuePair<string, ColumnSchema>(n, _columns[n])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("A column needs a non-empty name.", nameof(name));
        }
    }
}
