using System.Collections;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Tlc.Tables.Arrow;

/// <summary>A struct value read from an Arrow struct array: field name → value, read on access.</summary>
public sealed class StructValue : IReadOnlyDictionary<string, object?>
{
    private readonly StructArray _array;
    private readonly int _index;
    private readonly StructType _type;

    internal StructValue(StructArray array, int index)
    {
        _array = array;
        _index = index;
        _type = (StructType)array.Data.DataType;
    }

    /// <inheritdoc />
    public object? this[string key]
    {
        get
        {
            var i = _type.GetFieldIndex(key);
            if (i < 0)
            {
                throw new KeyNotFoundException($"The struct has no field '{key}'.");
            }
            return ArrowValues.GetValue(_array.Fields[i], _index);
        }
    }

    /// <inheritdoc />
    public IEnumerable<string> Keys => _type.Fields.Select(f => f.Name);

    /// <inheritdoc />
    public IEnumerable<object?> Values => Keys.Select(k => this[k]);

    /// <inheritdoc />
    public int Count => _type.Fields.Count;

    /// <inheritdoc />
    public bool ContainsKey(string key) => _type.GetFieldIndex(key) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, out object? value)
    {
        var i = _type.GetFieldIndex(key);
        value = i >= 0 ? ArrowValues.GetValue(_array.Fields[i], _index) : null;
        return i >= 0;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() =>
        Keys.Select(k => new KeyValuePair<string, object?>(k, this[k])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Copies into a plain dictionary (nested structs copied too).</summary>
    public Dictionary<string, object?> ToDictionary() => this.ToDictionary(kv => kv.Key, kv => kv.Value is StructValue s ? s.ToDictionary() : kv.Value);
}
