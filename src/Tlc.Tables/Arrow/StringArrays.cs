using Apache.Arrow;

namespace Tlc.Tables.Arrow;

/// <summary>Rewrites the values of a string array.</summary>
internal static class StringArrays
{
    /// <summary>
    /// <paramref name="array"/> with <paramref name="map"/> applied to each non-null value (nulls stay null); the same array
    /// when no value changes.
    /// </summary>
    public static StringArray Map(StringArray array, Func<string, string> map)
    {
        string?[]? changed = null;
        for (var r = 0; r < array.Length; r++)
        {
            var value = array.GetString(r);
            var mapped = value is null ? null : map(value);
            if (changed is null && !string.Equals(mapped, value, StringComparison.Ordinal))
            {
                changed = new string?[array.Length];
                for (var k = 0; k < r; k++)
                {
                    changed[k] = array.GetString(k);
                }
            }
            if (changed is not null)
            {
                changed[r] = mapped;
            }
        }
        if (changed is null)
        {
            return array;
        }
        var builder = new StringArray.Builder();
        foreach (var value in changed)
        {
            if (value is null)
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(value);
            }
        }
        return builder.Build();
    }
}
