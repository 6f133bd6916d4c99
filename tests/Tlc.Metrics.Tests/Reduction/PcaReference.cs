using static TorchSharp.torch;

namespace Tlc.Metrics.Tests.Reduction;

/// <summary>
/// PCA computed another way, for comparison: the eigen-decomposition of the covariance matrix (<c>torch.linalg.eigh</c>,
/// float64) instead of an SVD of the data, with the same sign convention (largest-magnitude coordinate positive).
/// </summary>
internal static class PcaReference
{
    public static (double[] Mean, double[][] Components, double[] Variances) Fit(IReadOnlyList<float[]> fit, int k)
    {
        var d = fit[0].Length;
        using var scope = NewDisposeScope();
        var x = tensor(fit.SelectMany(r => r.Select(v => (double)v)).ToArray(), [fit.Count, d], ScalarType.Float64);
        var mean = x.mean([0L]);
        var centred = x - mean;
        var covariance = centred.t().matmul(centred) / (fit.Count - 1);
        var (values, vectors) = linalg.eigh(covariance); // ascending eigenvalues, eigenvectors in columns
        var eigenvalues = values.data<double>().ToArray();
        var columns = vectors.t().contiguous().data<double>().ToArray();
        var components = new double[k][];
        var variances = new double[k];
        for (var c = 0; c < k; c++)
        {
            var index = d - 1 - c;
            var v = columns.AsSpan(index * d, d).ToArray();
            var at = 0;
            for (var j = 1; j < d; j++)
            {
                if (Math.Abs(v[j]) > Math.Abs(v[at]))
                {
                    at = j;
                }
            }
            components[c] = v[at] < 0 ? v.Select(e => -e).ToArray() : v;
            variances[c] = eigenvalues[index];
        }
        return (mean.data<double>().ToArray(), components, variances);
    }

    public static double[][] Project(IReadOnlyList<float[]> rows, IReadOnlyList<float[]> fit, int k)
    {
        var (mean, components, _) = Fit(fit, k);
        return rows.Select(r => components.Select(c => r.Select((v, j) => (v - mean[j]) * c[j]).Sum()).ToArray()).ToArray();
    }
}
