using System.Collections;

namespace Tlc.Tables;

/// <summary>
/// One row of a table: column name → value, in column order. <c>table.Rows[i]</c> gives the raw stored values;
/// <c>table[i]</c> gives the sample (values decoded by their sample type, hidden columns left out).
/// </summary>
public sealed class TableRow : IReadOnlyDictionary<string, object?>
{
    private readonly string[] _names;
    private readonly object?[] _values;

    internal TableRow(long index, string[] names, object?[] values)
    {
        Index = index;
        _names = names;
        _values = values;
    }

    /// <summary>The 0-based row index in its table.</summary>
    public long Index { get; }

    /// <inheritdoc />
    public object? this[string key]
    {
        get
        {
            var i = Array.IndexOf(_names, key);
            return i >= 0 ? _values[i] : throw new KeyNotFoundException($"The row has no column '{key}'. Columns: {string.Join(", ", _names)}.");
        }
    }

    /// <summary>The value of <paramref name="column"/> as <typeparamref name="T"/>.</summary>
    public T Get<T>(string column) => this[column] switch
    {
        T t => t,
        null => default!,
        var v => throw new InvalidCastException($"Column '{column}' holds {v.GetType().Name}, not {typeof(T).Name}."),
    };

    /// <inheritdoc />
    public IEnumerable<string> Keys => _names;

    /// <inheritdoc />
    public IEnumerable<object?> Values => _values;

    /// <inheritdoc />
    public int Count => _names.Length;

    /// <inheritdoc />
    public bool ContainsKey(string key) => Array.IndexOf(_names, key) >= 0;

    /// <inheritdoc />
    public bool TryGetValue(string key, out object? value)
    {
        var i = Array.IndexOf(_names, key);
        value = i >= 0 ? _values[i] : null;
        return i >= 0;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < _names.Length; i++)
        {
            yield return new KeyValuePair<string, object?>(_names[i], _values[i]);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
