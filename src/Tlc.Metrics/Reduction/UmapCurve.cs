namespace Tlc.Metrics.Reduction;

/// <summary>
/// The low-dimensional similarity curve of UMAP, 1 / (1 + a·d^(2b)), fitted (least squares, Levenberg–Marquardt) to the
/// offset exponential that is 1 up to <c>min_dist</c> and exp(−(d − min_dist)/spread) beyond, on 300 points over
/// [0, 3·spread] — umap-learn's <c>find_ab_params</c>. For min_dist 0.1 and spread 1: a ≈ 1.577, b ≈ 0.895.
/// </summary>
internal static class UmapCurve
{
    private const int Samples = 300;

    /// <summary>The curve's (a, b) for <paramref name="minDistance"/> and <paramref name="spread"/>.</summary>
    public static (double A, double B) Fit(double minDistance, double spread = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minDistance);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(spread);
        var xs = new double[Samples];
        var ys = new double[Samples];
        for (var i = 0; i < Samples; i++)
        {
            xs[i] = 3 * spread * i / (Samples - 1);
            ys[i] = xs[i] < minDistance ? 1 : Math.Exp(-(xs[i] - minDistance) / spread);
        }
        double a = 1, b = 1, lambda = 1e-3;
        var error = Error(xs, ys, a, b);
        for (var iteration = 0; iteration < 500; iteration++)
        {
            // Normal equations of the linearised residuals: (JᵀJ + λ·diag(JᵀJ)) δ = −Jᵀr.
            double jaa = 0, jab = 0, jbb = 0, ga = 0, gb = 0;
            for (var i = 0; i < Samples; i++)
            {
                var x = xs[i];
                var u = x > 0 ? Math.Pow(x, 2 * b) : 0;
                var denominator = 1 + (a * u);
                var r = (1 / denominator) - ys[i];
                var da = -u / (denominator * denominator);
                var db = x > 0 ? -a * u * 2 * Math.Log(x) / (denominator * denominator) : 0;
                jaa += da * da;
                jab += da * db;
                jbb += db * db;
                ga += da * r;
                gb += db * r;
            }
            var improved = false;
            while (lambda < 1e12)
            {
                var maa = jaa * (1 + lambda);
                var mbb = jbb * (1 + lambda);
                var det = (maa * mbb) - (jab * jab);
                var stepA = -((mbb * ga) - (jab * gb)) / det;
                var stepB = -((maa * gb) - (jab * ga)) / det;
                var next = Error(xs, ys, a + stepA, b + stepB);
                if (next < error)
                {
                    var converged = Math.Abs(stepA) < 1e-12 * (1 + Math.Abs(a)) && Math.Abs(stepB) < 1e-12 * (1 + Math.Abs(b));
                    a += stepA;
                    b += stepB;
                    error = next;
                    lambda = Math.Max(lambda / 10, 1e-12);
                    improved = !converged;
                    break;
                }
                lambda *= 10;
            }
            if (!improved)
            {
                break;
            }
        }
        return (a, b);
    }

    private static double Error(double[] xs, double[] ys, double a, double b)
    {
        double sum = 0;
        for (var i = 0; i < xs.Length; i++)
        {
            var u = xs[i] > 0 ? Math.Pow(xs[i], 2 * b) : 0;
            var r = (1 / (1 + (a * u))) - ys[i];
            sum += r * r;
        }
        return double.IsFinite(sum) ? sum : double.PositiveInfinity;
    }
}
