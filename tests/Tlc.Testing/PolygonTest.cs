namespace Tlc.Testing;

/// <summary>
/// Whether a point lies inside a polygon by the even-odd rule, written independently of the code under test: what the tests
/// of scatter selections (the page's count, the server's filter) compare against.
/// </summary>
public static class PolygonTest
{
    /// <summary>Whether (<paramref name="x"/>, <paramref name="y"/>) lies inside <paramref name="polygon"/>.</summary>
    public static bool Inside(IReadOnlyList<(double X, double Y)> polygon, double x, double y)
    {
        ArgumentNullException.ThrowIfNull(polygon);
        var hit = false;
        for (int a = 0, b = polygon.Count - 1; a < polygon.Count; b = a++)
        {
            if ((polygon[a].Y > y) != (polygon[b].Y > y) && x < (polygon[b].X - polygon[a].X) * (y - polygon[a].Y) / (polygon[b].Y - polygon[a].Y) + polygon[a].X)
            {
                hit = !hit;
            }
        }
        return hit;
    }
}
