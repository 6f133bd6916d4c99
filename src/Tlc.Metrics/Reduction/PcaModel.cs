using static TorchSharp.torch;

namespace Tlc.Metrics.Reduction;

/// <summary>
/// A fitted principal component analysis: the mean of the fit rows and the leading principal directions, computed exactly
/// (not randomised) by a thin SVD of the centred rows in float64 with TorchSharp (<c>torch.linalg.svd</c>).
/// </summary>
/// <remarks>
/// Sign convention (deterministic: an SVD fixes each direction only up to sign): every component is flipped so that its
/// coordinate of largest magnitude is positive (on a tie, the first such coordinate).
/// </remarks>
public sealed class PcaModel
{
    private readonly double[] _mean;
    private readonly double[][] _components;

    private PcaModel(double[] mean, double[][] components, double[] explainedVariance, long fitRows)
    {
        _mean = mean;
        _components = components;
        ExplainedVariance = explainedVariance;
        FitRows = fitRows;
    }

    /// <summary>The input dimension.</summary>
    public int Dimensions => _mean.Length;

    /// <summary>The mean of the fit rows.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The principal directions (unit vectors of <see cref="Dimensions"/> values), by decreasing variance.</summary>
    public IReadOnlyList<double[]> Components => _components;

    /// <summary>The variance of the fit rows along each component (squared singular value / (rows − 1)).</summary>
    public IReadOnlyList<double> ExplainedVariance { get; }

    /// <summary>The number of rows the model was fitted on.</summary>
    public long FitRows { get; }

    /// <summary>Fits <paramref name="components"/> principal components to <paramref name="rows"/> (each of the same length).</summary>
    /// <exception cref="ArgumentException">Rows of different lengths, non-finite values, or too few rows (at least components + 1).</exception>
    public static PcaModel Fit(IReadOnlyList<float[]> rows, int components)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(components);
        if (rows.Count < components + 1)
        {
            throw new ArgumentException($"{components} principal components need at least {components + 1} rows; got {rows.Count}.", nameof(rows));
        }
        var d = rows[0].Length;
        if (components > d)
        {
            throw new ArgumentException($"{components} principal components need at least {components} dimensions; the rows have {d}.", nameof(components));
        }
        var data = new double[rows.Count * d];
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != d)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values; row 0 has {d}.", nameof(rows));
            }
            for (var j = 0; j < d; j++)
            {
                var v = rows[i][j];
                if (!float.IsFinite(v))
                {
                    throw new ArgumentException($"Row {i}, value {j} is {v}.", nameof(rows));
                }
                data[(i * d) + j] = v;
            }
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = tensor(data, [rows.Count, d], ScalarType.Float64);
        var mean = x.mean([0L]);
        var centred = x - mean;
        var (_, s, vh) = linalg.svd(centred, fullMatrices: false);
        var vectors = vh[TensorIndex.Slice(0, components)].contiguous().data<double>().ToArray();
        var singular = s.data<double>().ToArray();
        var result = new double[components][];
        for (var k = 0; k < components; k++)
        {
            var v = vectors.AsSpan(k * d, d).ToArray();
            var at = 0;
            for (var j = 1; j < d; j++)
            {
                if (Math.Abs(v[j]) > Math.Abs(v[at]))
                {
                    at = j;
                }
            }
            if (v[at] < 0)
            {
                for (var j = 0; j < d; j++)
                {
                    v[j] = -v[j];
                }
            }
            result[k] = v;
        }
        var variance = singular.Take(components).Select(sv => sv * sv / (rows.Count - 1)).ToArray();
        return new PcaModel(mean.data<double>().ToArray(), result, variance, rows.Count);
    }

    /// <summary>The coordinates of <paramref name="row"/> along the components: (row − mean) · component.</summary>
    public float[] Transform(ReadOnlySpan<float> row)
    {
        if (row.Length != Dimensions)
        {
            throw new ArgumentException($"The model was fitted on {Dimensions} dimensions; the row has {row.Length}.", nameof(row));
        }
        var result = new float[_components.Length];
        for (var k = 0; k < result.Length; k++)
        {
            var c = _components[k];
            double sum = 0;
            for (var j = 0; j < row.Length; j++)
            {
                sum += (row[j] - _mean[j]) * c[j];
            }
            result[k] = (float)sum;
        }
        return result;
    }
}
