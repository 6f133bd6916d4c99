using System.Globalization;
using Tlc.Tables.Arrow;

namespace Tlc.Tables;

/// <summary>
/// How table values compare, wherever values are filtered or sorted: null before any value, numbers by value (whatever
/// their type), booleans false before true, anything else by its invariant text, ordinally.
/// </summary>
internal static class ValueOrder
{
    /// <summary>Negative, zero or positive as <paramref name="a"/> comes before, with or after <paramref name="b"/>.</summary>
    public static int Compare(object? a, object? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null ? 0 : a is null ? -1 : 1;
        }
        if (ValueConversions.TryFloat(a, out var x) && ValueConversions.TryFloat(b, out var y) && a is not string && b is not string)
        {
            return x.CompareTo(y);
        }
        if (a is bool ba && b is bool bb)
        {
            return ba.CompareTo(bb);
        }
        return string.CompareOrdinal(Convert.ToString(a, CultureInfo.InvariantCulture), Convert.ToString(b, CultureInfo.InvariantCulture));
    }
}
