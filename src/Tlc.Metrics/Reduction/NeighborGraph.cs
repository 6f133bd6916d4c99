namespace Tlc.Metrics.Reduction;

/// <summary>
/// The k nearest neighbours of every point (the point itself left out): row i of <see cref="Indices"/> and
/// <see cref="Distances"/> (k slots each, row-major) lists its neighbours by ascending Euclidean distance.
/// </summary>
internal sealed class NeighborGraph
{
    public NeighborGraph(int points, int neighbors, int[] indices, float[] distances, bool exact, int iterations)
    {
        Points = points;
        Neighbors = neighbors;
        Indices = indices;
        Distances = distances;
        Exact = exact;
        Iterations = iterations;
    }

    /// <summary>The number of points.</summary>
    public int Points { get; }

    /// <summary>k: the neighbours kept per point.</summary>
    public int Neighbors { get; }

    /// <summary>Points × k neighbour indices (−1 in a slot no neighbour was found for).</summary>
    public int[] Indices { get; }

    /// <summary>Points × k Euclidean distances, ascending within a row (+∞ in an empty slot).</summary>
    public float[] Distances { get; }

    /// <summary>True when the graph was computed exactly (every pair compared), false for NN-descent.</summary>
    public bool Exact { get; }

    /// <summary>The NN-descent iterations run (0 when exact).</summary>
    public int Iterations { get; }

    /// <summary>Sorts each row's heap by distance and turns squared distances into distances.</summary>
    internal static void Finish(int n, int k, int[] indices, float[] squared)
    {
        for (var i = 0; i < n; i++)
        {
            var d = squared.AsSpan(i * k, k);
            NeighborHeap.Sort(d, indices.AsSpan(i * k, k));
            for (var s = 0; s < k; s++)
            {
                d[s] = MathF.Sqrt(d[s]);
            }
        }
    }
}
