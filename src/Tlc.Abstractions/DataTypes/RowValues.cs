using System.Collections;
using System.Globalization;

namespace Tlc.DataTypes;

/// <summary>Reads the loosely typed values of a raw row (boxed numbers, dictionaries, lists) into typed values.</summary>
public static class RowValues
{
    /// <summary>The value as a struct (field → value); throws naming <paramref name="what"/> when it is not one.</summary>
    public static IReadOnlyDictionary<string, object?> AsStruct(object? value, string what) => value switch
    {
        IReadOnlyDictionary<string, object?> d => d,
        IDictionary<string, object?> d => d.AsReadOnly(),
        IAnnotation a => a.ToRowValue(),
        _ => throw new FormatException($"{what}: expected a struct, got {Describe(value)}."),
    };

    /// <summary>The value as a list; throws naming <paramref name="what"/> when it is not one.</summary>
    public static IEnumerable<object?> AsList(object? value, string what) => value switch
    {
        null => [],
        string => throw new FormatException($"{what}: expected a list, got a string."),
        IEnumerable<object?> e => e,
        IEnumerable e => e.Cast<object?>(),
        _ => throw new FormatException($"{what}: expected a list, got {Describe(value)}."),
    };

    /// <summary>The field <paramref name="name"/> of a struct, or null when absent.</summary>
    public static object? Field(IReadOnlyDictionary<string, object?> row, string name) => row.TryGetValue(name, out var v) ? v : null;

    /// <summary>The value as a float.</summary>
    public static float ToSingle(object? value, string what) => value switch
    {
        float f => f,
        double d => (float)d,
        IConvertible c when value is not string and not bool => c.ToSingle(CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{what}: expected a number, got {Describe(value)}."),
    };

    /// <summary>The value as an int.</summary>
    public static int ToInt32(object? value, string what) => value switch
    {
        int i => i,
        long l when l is >= int.MinValue and <= int.MaxValue => (int)l,
        IConvertible c when value is not string and not bool and not float and not double => c.ToInt32(CultureInfo.InvariantCulture),
        _ => throw new FormatException($"{what}: expected an integer, got {Describe(value)}."),
    };

    /// <summary>The value as a float array.</summary>
    public static float[] ToSingles(object? value, string what) => value switch
    {
        float[] f => f,
        _ => AsList(value, what).Select((v, i) => ToSingle(v, $"{what}[{i}]")).ToArray(),
    };

    /// <summary>Describes a value for error messages: its type and a short rendering.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "null",
        string s => $"string \"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        IFormattable f => $"{value.GetType().Name} {f.ToString(null, CultureInfo.InvariantCulture)}",
        _ => value.GetType().Name,
    };
}
