namespace Tlc.Metrics.Reduction;

/// <summary>The exact k-nearest-neighbour graph by comparing every pair: O(n²·d) time, for small point sets.</summary>
internal static class ExactNeighbors
{
    /// <summary>The k nearest others of each of the <paramref name="n"/> rows of <paramref name="data"/> (row-major, d columns).</summary>
    public static NeighborGraph Build(float[] data, int n, int d, int k, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n - 1);
        var indices = new int[n * k];
        var distances = new float[n * k];
        // Each row's heap depends only on the data: the result does not depend on how rows are spread over threads.
        Parallel.For(0, n, new ParallelOptions { CancellationToken = cancellationToken }, i =>
        {
            var heapDistances = distances.AsSpan(i * k, k);
            var heapIndices = indices.AsSpan(i * k, k);
            NeighborHeap.Clear(heapDistances, heapIndices);
            var row = SquaredEuclidean.Row(data, i, d);
            for (var j = 0; j < n; j++)
            {
                if (j != i)
                {
                    var distance = SquaredEuclidean.Distance(row, SquaredEuclidean.Row(data, j, d));
                    if (distance < heapDistances[0])
                    {
                        NeighborHeap.Push(heapDistances, heapIndices, distance, j);
                    }
                }
            }
        });
        NeighborGraph.Finish(n, k, indices, distances);
        return new NeighborGraph(n, k, indices, distances, exact: true, iterations: 0);
    }
}
