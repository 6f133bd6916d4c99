using System.Collections;

namespace Tlc.Schemas;

/// <summary>
/// Maps stored numeric values to their meaning (class names). Ordered by value; immutable.
/// </summary>
public sealed class ValueMap : IReadOnlyDictionary<long, MapElement>, IEquatable<ValueMap>
{
    private readonly SortedDictionary<long, MapElement> _entries;

    /// <summary>Creates a value map from explicit entries.</summary>
    public ValueMap(IEnumerable<KeyValuePair<long, MapElement>> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        _entries = new SortedDictionary<long, MapElement>();
        foreach (var (key, value) in entries)
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!_entries.TryAdd(key, value))
            {
                throw new ArgumentException($"Value map has the value {key} twice.", nameof(entries));
            }
        }
    }

    /// <summary>Creates the value map 0..n-1 → <paramref name="classes"/>.</summary>
    public static ValueMap FromClasses(IEnumerable<string> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        return new ValueMap(classes.Select((name, i) => new KeyValuePair<long, MapElement>(i, new MapElement(name))));
    }

    /// <summary>Creates a value map from (value, name) pairs, e.g. COCO category ids.</summary>
    public static ValueMap FromNames(IEnumerable<KeyValuePair<long, string>> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return new ValueMap(names.Select(kv => new KeyValuePair<long, MapElement>(kv.Key, new MapElement(kv.Value))));
    }

    /// <summary>The internal names, ordered by value.</summary>
    public IReadOnlyList<string> Names => _entries.Values.Select(e => e.InternalName).ToArray();

    /// <summary>Returns the value whose internal name is <paramref name="name"/>, or null.</summary>
    public long? ValueOf(string name)
    {
        foreach (var (key, element) in _entries)
        {
            if (element.InternalName == name)
            {
                return key;
            }
        }
        return null;
    }

    /// <summary>Returns a copy with <paramref name="value"/> set to <paramref name="element"/>.</summary>
    public ValueMap With(long value, MapElement element)
    {
        var copy = new SortedDictionary<long, MapElement>(_entries) { [value] = element };
        return new ValueMap(copy);
    }

    /// <summary>Returns a copy without <paramref name="value"/>.</summary>
    public ValueMap Without(long value)
    {
        var copy = new SortedDictionary<long, MapElement>(_entries);
        copy.Remove(value);
        return new ValueMap(copy);
    }

    /// <inheritdoc />
    public MapElement this[long key] => _entries[key];

    /// <inheritdoc />
    public IEnumerable<long> Keys => _entries.Keys;

    /// <inheritdoc />
    public IEnumerable<MapElement> Values => _entries.Values;

    /// <inheritdoc />
    public int Count => _entries.Count;

    /// <inheritdoc />
    public bool ContainsKey(long key) => _entries.ContainsKey(key);

    /// <inheritdoc />
    public bool TryGetValue(long key, out MapElement value) => _entries.TryGetValue(key, out value!);

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<long, MapElement>> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc />
    public bool Equals(ValueMap? other) => other is not null && _entries.Count == other._entries.Count
        && _entries.All(kv => other._entries.TryGetValue(kv.Key, out var o) && o == kv.Value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as ValueMap);

    /// <inheritdoc />
    public override int GetHashCode() => _entries.Count == 0 ? 0 : HashCode.Combine(_entries.Count, _entries.First().Value);
}
