namespace Tlc.Metrics.Tests.Reduction;

/// <summary>
/// Trustworthiness of an embedding (Venna &amp; Kaski 2001, "Neighborhood preservation in nonlinear projection methods: an
/// experimental study"): how far the k nearest neighbours of each point in the embedding are from being its k nearest in
/// the input space. T(k) = 1 − 2 / (n·k·(2n − 3k − 1)) · Σᵢ Σ_{j ∈ Uₖ(i)} (r(i, j) − k), where Uₖ(i) are the points among
/// i's k nearest in the embedding that are not among its k nearest in the input, and r(i, j) is j's rank by input
/// distance from i (1 = nearest). 1 when every neighbourhood is kept; exact (every pair compared), Euclidean both sides,
/// ties ordered by index.
/// </summary>
internal static class Trustworthiness
{
    public static double Of(IReadOnlyList<float[]> input, IReadOnlyList<float[]> embedding, int k)
    {
        var n = input.Count;
        Assert.Equal(n, embedding.Count);
        Assert.True(k < n / 2, "T(k) is defined for k < n/2");
        var penalties = new long[n];
        Parallel.For(0, n, i =>
        {
            // Ranks by input distance (the point itself first, rank 0).
            var order = Enumerable.Range(0, n).ToArray();
            var inputDistances = order.Select(j => Squared(input[i], input[j])).ToArray();
            Array.Sort(inputDistances, order);
            SortTiesByIndex(inputDistances, order);
            var rank = new int[n];
            for (var r = 0; r < n; r++)
            {
                rank[order[r]] = r;
            }
            var near = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => Squared(embedding[i], embedding[j])).ThenBy(j => j).Take(k);
            long penalty = 0;
            foreach (var j in near)
            {
                // rank[i] is 0 when no other point coincides with i; r(i, j) counts from the nearest other point.
                var r = rank[j] < rank[i] ? rank[j] + 1 : rank[j];
                if (r > k)
                {
                    penalty += r - k;
                }
            }
            penalties[i] = penalty;
        });
        var total = penalties.Sum();
        return 1 - (2.0 / (n * (double)k * ((2.0 * n) - (3.0 * k) - 1)) * total);
    }

    private static double Squared(float[] a, float[] b)
    {
        double sum = 0;
        for (var j = 0; j < a.Length; j++)
        {
            var d = (double)a[j] - b[j];
            sum += d * d;
        }
        return sum;
    }

    private static void SortTiesByIndex(double[] keys, int[] order)
    {
        var start = 0;
        for (var i = 1; i <= keys.Length; i++)
        {
            if (i == keys.Length || keys[i] != keys[start])
            {
                Array.Sort(order, start, i - start);
                start = i;
            }
        }
    }
}
