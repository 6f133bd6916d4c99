using System.Numerics;
using System.Runtime.InteropServices;

namespace Tlc.Metrics.Reduction;

/// <summary>The squared Euclidean distance of two float vectors, SIMD-wide; the same inputs always give the same bits.</summary>
internal static class SquaredEuclidean
{
    /// <summary>Σ (a[i] − b[i])² over equal-length spans.</summary>
    public static float Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var i = 0;
        var sum = 0f;
        if (Vector.IsHardwareAccelerated && a.Length >= Vector<float>.Count)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var acc = Vector<float>.Zero;
            for (var v = 0; v < va.Length; v++)
            {
                var diff = va[v] - vb[v];
                acc += diff * diff;
            }
            sum = Vector.Sum(acc);
            i = va.Length * Vector<float>.Count;
        }
        for (; i < a.Length; i++)
        {
            var diff = a[i] - b[i];
            sum += diff * diff;
        }
        return sum;
    }

    /// <summary>Row <paramref name="i"/> of a row-major matrix of <paramref name="d"/> columns.</summary>
    public static ReadOnlySpan<float> Row(float[] data, int i, int d) => new(data, i * d, d);
}
