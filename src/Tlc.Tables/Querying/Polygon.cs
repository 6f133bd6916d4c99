using System.Globalization;

namespace Tlc.Tables.Querying;

/// <summary>
/// A polygon in a scatter's plane (a box or lasso selection): whether a point value (the first two numbers of a list, e.g. a
/// reduced embedding) lies inside it, by the even-odd rule, after a bounding-box check.
/// </summary>
internal sealed class Polygon
{
    private readonly double[] _x;
    private readonly double[] _y;
    private readonly double _minX, _maxX, _minY, _maxY;

    private Polygon(double[] x, double[] y)
    {
        _x = x;
        _y = y;
        (_minX, _maxX, _minY, _maxY) = (x.Min(), x.Max(), y.Min(), y.Max());
    }

    /// <summary>The polygon of <paramref name="coordinates"/> (x1, y1, x2, y2, …; at least 3 vertices) over <paramref name="column"/>.</summary>
    public static Polygon Of(string column, IReadOnlyList<object?> coordinates)
    {
        if (coordinates.Count < 6 || coordinates.Count % 2 != 0)
        {
            throw new ArgumentException($"A polygon over '{column}' needs at least 3 vertices as x, y pairs (got {coordinates.Count} numbers).");
        }
        var numbers = coordinates.Select(c => c is IConvertible n and not string ? n.ToDouble(CultureInfo.InvariantCulture)
            : throw new ArgumentException($"A polygon over '{column}' has the coordinate {c ?? "null"}, not a number.")).ToArray();
        return new Polygon([.. numbers.Where((_, i) => i % 2 == 0)], [.. numbers.Where((_, i) => i % 2 == 1)]);
    }

    /// <summary>Whether <paramref name="value"/> is a point inside: a list of at least two numbers; anything else is not.</summary>
    public bool Contains(object? value) => value switch
    {
        float[] { Length: >= 2 } f => Contains(f[0], f[1]),
        double[] { Length: >= 2 } d => Contains(d[0], d[1]),
        _ => false,
    };

    /// <summary>Whether (<paramref name="px"/>, <paramref name="py"/>) is inside (even-odd rule).</summary>
    public bool Contains(double px, double py)
    {
        if (!(px >= _minX && px <= _maxX && py >= _minY && py <= _maxY))
        {
            return false;
        }
        var inside = false;
        for (int i = 0, j = _x.Length - 1; i < _x.Length; j = i++)
        {
            if ((_y[i] > py) != (_y[j] > py) && px < (_x[j] - _x[i]) * (py - _y[i]) / (_y[j] - _y[i]) + _x[i])
            {
                inside = !inside;
            }
        }
        return inside;
    }
}
