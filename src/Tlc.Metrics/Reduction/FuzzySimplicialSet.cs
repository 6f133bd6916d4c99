namespace Tlc.Metrics.Reduction;

/// <summary>
/// UMAP's fuzzy simplicial set of a k-nearest-neighbour graph (McInnes et al. 2018, §3.1; umap-learn's
/// <c>fuzzy_simplicial_set</c>): each point's neighbour distances are normalised by its own ρ (the distance to its nearest
/// neighbour, local connectivity 1) and σ (found by binary search so that Σ exp(−(d − ρ)/σ) = log2(k + 1)), giving the
/// directed membership strengths w = exp(−max(0, d − ρ)/σ); the directed graph is symmetrised by the fuzzy union
/// a + b − a·b. The edges are listed both ways (i→j and j→i), sorted by head then tail.
/// </summary>
internal sealed class FuzzySimplicialSet
{
    private const int BinarySearchSteps = 64;
    private const double Tolerance = 1e-5;
    private const double MinDistanceScale = 1e-3;

    private FuzzySimplicialSet(int points, int[] heads, int[] tails, float[] weights)
    {
        Points = points;
        Heads = heads;
        Tails = tails;
        Weights = weights;
    }

    /// <summary>The number of points (vertices).</summary>
    public int Points { get; }

    /// <summary>Each edge's head (the point it moves), ascending.</summary>
    public int[] Heads { get; }

    /// <summary>Each edge's tail, ascending within a head.</summary>
    public int[] Tails { get; }

    /// <summary>Each edge's membership strength in (0, 1].</summary>
    public float[] Weights { get; }

    /// <summary>The fuzzy union of the neighbourhoods of <paramref name="graph"/>.</summary>
    public static FuzzySimplicialSet Build(NeighborGraph graph, CancellationToken cancellationToken)
    {
        var n = graph.Points;
        var k = graph.Neighbors;
        var directed = Memberships(graph, cancellationToken);

        // Each row's neighbours by index, for finding the reverse edge j→i of i→j.
        var sortedTails = (int[])graph.Indices.Clone();
        var sortedWeights = (float[])directed.Clone();
        for (var i = 0; i < n; i++)
        {
            sortedTails.AsSpan(i * k, k).Sort(sortedWeights.AsSpan(i * k, k));
        }
        cancellationToken.ThrowIfCancellationRequested();

        // Count the undirected edges' two directions: every i→j, plus j→i where j does not list i.
        var count = 0L;
        for (var i = 0; i < n; i++)
        {
            for (var s = 0; s < k; s++)
            {
                var j = sortedTails[(i * k) + s];
                if (j >= 0 && sortedWeights[(i * k) + s] > 0)
                {
                    count += Reverse(sortedTails, sortedWeights, k, j, i) > 0 ? 1 : 2;
                }
            }
        }
        if (count > Array.MaxLength)
        {
            throw new InvalidOperationException($"The neighbour graph has {count} edges, more than an array holds.");
        }
        var keys = new long[count];
        var weights = new float[count];
        var at = 0;
        for (var i = 0; i < n; i++)
        {
            for (var s = 0; s < k; s++)
            {
                var j = sortedTails[(i * k) + s];
                var a = sortedWeights[(i * k) + s];
                if (j < 0 || !(a > 0))
                {
                    continue;
                }
                var b = Reverse(sortedTails, sortedWeights, k, j, i);
                var union = (float)(a + (double)b - ((double)a * b));
                keys[at] = ((long)i * n) + j;
                weights[at++] = union;
                if (!(b > 0))
                {
                    keys[at] = ((long)j * n) + i;
                    weights[at++] = union;
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        Array.Sort(keys, weights);
        var heads = new int[count];
        var tails = new int[count];
        for (var e = 0; e < keys.Length; e++)
        {
            heads[e] = (int)(keys[e] / n);
            tails[e] = (int)(keys[e] % n);
        }
        return new FuzzySimplicialSet(n, heads, tails, weights);
    }

    /// <summary>The directed membership strengths of each point's neighbours (σ and ρ per point), row-major like the graph.</summary>
    internal static float[] Memberships(NeighborGraph graph, CancellationToken cancellationToken)
    {
        var n = graph.Points;
        var k = graph.Neighbors;
        var target = Math.Log2(k + 1); // umap-learn's log2(n_neighbors), which counts the point itself
        double total = 0;
        long present = 0;
        foreach (var distance in graph.Distances)
        {
            if (float.IsFinite(distance))
            {
                total += distance;
                present++;
            }
        }
        // The mean over every point's k neighbours and itself (distance 0), as umap-learn's row of n_neighbors does.
        var meanDistance = present == 0 ? 0 : total / (present + n);
        var result = new float[n * k];
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var distances = graph.Distances.AsSpan(i * k, k);
            var indices = graph.Indices.AsSpan(i * k, k);
            double rho = 0, sum = 0;
            var found = 0;
            foreach (var distance in distances)
            {
                if (float.IsFinite(distance))
                {
                    sum += distance;
                    found++;
                    if (rho == 0 && distance > 0)
                    {
                        rho = distance; // the nearest non-zero distance (ascending order)
                    }
                }
            }
            double lo = 0, hi = double.PositiveInfinity, mid = 1;
            for (var step = 0; step < BinarySearchSteps; step++)
            {
                double psum = 0;
                foreach (var distance in distances)
                {
                    if (float.IsFinite(distance))
                    {
                        var excess = distance - rho;
                        psum += excess > 0 ? Math.Exp(-(excess / mid)) : 1;
                    }
                }
                if (Math.Abs(psum - target) < Tolerance)
                {
                    break;
                }
                if (psum > target)
                {
                    hi = mid;
                    mid = (lo + hi) / 2;
                }
                else
                {
                    lo = mid;
                    mid = double.IsPositiveInfinity(hi) ? mid * 2 : (lo + hi) / 2;
                }
            }
            var sigma = mid;
            var floor = MinDistanceScale * (rho > 0 ? sum / (found + 1) : meanDistance);
            if (sigma < floor)
            {
                sigma = floor;
            }
            for (var s = 0; s < k; s++)
            {
                var distance = distances[s];
                if (indices[s] < 0 || !float.IsFinite(distance))
                {
                    result[(i * k) + s] = 0;
                    continue;
                }
                var excess = distance - rho;
                result[(i * k) + s] = excess <= 0 || sigma == 0 ? 1f : (float)Math.Exp(-(excess / sigma));
            }
        });
        return result;
    }

    /// <summary>The weight of j→i in j's row (sorted by index), 0 when j does not list i.</summary>
    private static float Reverse(int[] sortedTails, float[] sortedWeights, int k, int j, int i)
    {
        var at = sortedTails.AsSpan(j * k, k).BinarySearch(i);
        return at >= 0 ? sortedWeights[(j * k) + at] : 0;
    }
}
