namespace Tlc.Metrics.Reduction;

/// <summary>
/// An approximate k-nearest-neighbour graph by NN-descent (Dong, Moses &amp; Li 2011, "a neighbour of a neighbour is likely a
/// neighbour"), as PyNNDescent runs it for UMAP: start from the points sharing a leaf of random projection trees
/// (<see cref="RandomProjectionForest"/>) and random neighbours where those are too few, then repeatedly compare the sampled new and
/// old neighbours (forward and reverse) of each point with each other, keeping the nearer ones, until fewer than δ·n·k
/// neighbours change. Memory is O(n·k): the graph, the candidate lists and the updates of one block of points.
/// </summary>
/// <remarks>
/// Deterministic for a seed, whatever the thread count or scheduling: the random choices are drawn sequentially (or per
/// point or tree from the seed and its index), the distances of a block of points (or leaves) are computed in parallel
/// against the graph as it stood before the block, into one update list per fixed chunk of the block, and the updates are
/// then applied in chunk order on one thread.
/// </remarks>
internal static class NnDescent
{
    /// <summary>δ: stop once an iteration changes fewer than δ·n·k neighbour slots.</summary>
    public const double Delta = 0.001;

    /// <summary>Points whose candidate pairs are compared before their updates are applied: bounds the update lists' memory.</summary>
    private const int BlockPoints = 4096;

    /// <summary>Fixed chunks per block, each with its own update list (the partition, not the thread count, fixes the order).</summary>
    private const int Chunks = 16;

    /// <summary>
    /// The k nearest others of each of the <paramref name="n"/> rows of <paramref name="data"/> (row-major, d columns),
    /// approximately. Runs at most max(5, round(log2 n)) iterations unless <paramref name="maxIterations"/> says otherwise.
    /// </summary>
    public static NeighborGraph Build(float[] data, int n, int d, int k, long seed, CancellationToken cancellationToken, int? maxIterations = null)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, n - 1);
        var iterations = maxIterations ?? Math.Max(5, (int)Math.Round(Math.Log2(n)));
        var candidates = Math.Min(60, 2 * k); // the sampled new (and old) candidates per point
        var heaps = new Heaps(k, new float[n * k], new int[n * k], new bool[n * k]);
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        var updates = Enumerable.Range(0, Chunks).Select(_ => new List<Update>()).ToArray();
        for (var i = 0; i < n; i++)
        {
            NeighborHeap.Clear(heaps.Distances.AsSpan(i * k, k), heaps.Indices.AsSpan(i * k, k));
        }

        // Seed the graph with the points that share a leaf of a random projection tree, tree by tree.
        var leafSize = Math.Max(10, Math.Min(60, 2 * k));
        var trees = RandomProjectionForest.TreeCount(n);
        for (var first = 0; first < trees; first += Chunks)
        {
            var batch = new (int[] Order, List<(int Start, int End)> Leaves)[Math.Min(Chunks, trees - first)];
            Parallel.For(0, batch.Length, parallel, t => batch[t] = RandomProjectionForest.Build(data, n, d, leafSize, seed, first + t));
            foreach (var (order, leaves) in batch)
            {
                Apply(leaves.Count, BlockPoints / leafSize * 2, heaps, updates, parallel, (l, list) =>
                {
                    var (start, end) = leaves[l];
                    for (var x = start; x < end; x++)
                    {
                        var p = order[x];
                        var rowP = SquaredEuclidean.Row(data, p, d);
                        for (var y = x + 1; y < end; y++)
                        {
                            var q = order[y];
                            var distance = SquaredEuclidean.Distance(rowP, SquaredEuclidean.Row(data, q, d));
                            if (distance < heaps.Distances[p * k] || distance < heaps.Distances[q * k])
                            {
                                list.Add(new Update(p, q, distance));
                            }
                        }
                    }
                });
            }
        }

        // Random neighbours where a leaf left a point short of k, each point from its own stream of the seed.
        Parallel.For(0, n, parallel, i =>
        {
            var heapDistances = heaps.Distances.AsSpan(i * k, k);
            var heapIndices = heaps.Indices.AsSpan(i * k, k);
            var heapFlags = heaps.IsNew.AsSpan(i * k, k);
            var random = new SeededRandom(seed, i);
            var row = SquaredEuclidean.Row(data, i, d);
            for (var tries = 0; tries < 4 * k && heapIndices[0] < 0; tries++)
            {
                var j = random.NextInt(n);
                if (j != i)
                {
                    NeighborHeap.Push(heapDistances, heapIndices, heapFlags, SquaredEuclidean.Distance(row, SquaredEuclidean.Row(data, j, d)), j, true);
                }
            }
        });

        var newIndices = new int[n * candidates];
        var newPriorities = new float[n * candidates];
        var oldIndices = new int[n * candidates];
        var oldPriorities = new float[n * candidates];
        var run = 0;
        while (run < iterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var random = new SeededRandom(seed, -1 - run);
            run++;
            BuildCandidates(n, k, candidates, heaps.Indices, heaps.IsNew, newIndices, newPriorities, oldIndices, oldPriorities, ref random);
            var changed = Apply(n, BlockPoints, heaps, updates, parallel,
                (i, list) => Join(data, d, k, candidates, i, heaps.Distances, newIndices, oldIndices, list));
            if (changed <= Delta * n * k)
            {
                break;
            }
        }
        NeighborGraph.Finish(n, k, heaps.Indices, heaps.Distances);
        return new NeighborGraph(n, k, heaps.Indices, heaps.Distances, exact: false, iterations: run);
    }

    /// <summary>
    /// Runs <paramref name="produce"/> for items 0 … <paramref name="items"/> − 1, a block at a time: the items of a block in
    /// parallel (the graph read, not written), their updates applied in item order afterwards.
    /// </summary>
    /// <returns>The number of neighbour slots changed.</returns>
    private static long Apply(int items, int blockItems, Heaps heaps, List<Update>[] updates, ParallelOptions parallel, Action<int, List<Update>> produce)
    {
        var k = heaps.K;
        long changed = 0;
        blockItems = Math.Max(Chunks, blockItems);
        for (var start = 0; start < items; start += blockItems)
        {
            var end = Math.Min(items, start + blockItems);
            var per = (end - start + Chunks - 1) / Chunks;
            var blockStart = start;
            Parallel.For(0, Chunks, parallel, c =>
            {
                var list = updates[c];
                list.Clear();
                var to = Math.Min(end, blockStart + ((c + 1) * per));
                for (var i = blockStart + (c * per); i < to; i++)
                {
                    produce(i, list);
                }
            });
            foreach (var list in updates)
            {
                foreach (var u in list)
                {
                    if (NeighborHeap.Push(heaps.Distances.AsSpan(u.P * k, k), heaps.Indices.AsSpan(u.P * k, k), heaps.IsNew.AsSpan(u.P * k, k), u.Distance, u.Q, true))
                    {
                        changed++;
                    }
                    if (NeighborHeap.Push(heaps.Distances.AsSpan(u.Q * k, k), heaps.Indices.AsSpan(u.Q * k, k), heaps.IsNew.AsSpan(u.Q * k, k), u.Distance, u.P, true))
                    {
                        changed++;
                    }
                }
                list.Clear();
            }
        }
        return changed;
    }

    /// <summary>
    /// Samples each point's candidates: up to <paramref name="m"/> new and <paramref name="m"/> old neighbours, forward
    /// and reverse, chosen by random priority; the new neighbours sampled are marked old in the graph.
    /// </summary>
    private static void BuildCandidates(int n, int k, int m, int[] indices, bool[] isNew, int[] newIndices, float[] newPriorities,
        int[] oldIndices, float[] oldPriorities, ref SeededRandom random)
    {
        NeighborHeap.Clear(newPriorities, newIndices);
        NeighborHeap.Clear(oldPriorities, oldIndices);
        for (var i = 0; i < n; i++)
        {
            for (var s = 0; s < k; s++)
            {
                var j = indices[(i * k) + s];
                if (j < 0)
                {
                    continue;
                }
                var priority = (float)random.NextDouble();
                var (targetIndices, targetPriorities) = isNew[(i * k) + s] ? (newIndices, newPriorities) : (oldIndices, oldPriorities);
                NeighborHeap.Push(targetPriorities.AsSpan(i * m, m), targetIndices.AsSpan(i * m, m), priority, j);
                NeighborHeap.Push(targetPriorities.AsSpan(j * m, m), targetIndices.AsSpan(j * m, m), priority, i);
            }
        }
        for (var i = 0; i < n; i++)
        {
            var sampled = newIndices.AsSpan(i * m, m);
            for (var s = 0; s < k; s++)
            {
                if (isNew[(i * k) + s] && sampled.Contains(indices[(i * k) + s]))
                {
                    isNew[(i * k) + s] = false;
                }
            }
        }
    }

    /// <summary>The local join of point <paramref name="i"/>: every new–new and new–old candidate pair nearer than one end's farthest neighbour.</summary>
    private static void Join(float[] data, int d, int k, int m, int i, float[] distances, int[] newIndices, int[] oldIndices, List<Update> updates)
    {
        var fresh = newIndices.AsSpan(i * m, m);
        var old = oldIndices.AsSpan(i * m, m);
        for (var a = 0; a < m; a++)
        {
            var p = fresh[a];
            if (p < 0)
            {
                continue;
            }
            var rowP = SquaredEuclidean.Row(data, p, d);
            var limitP = distances[p * k];
            for (var b = a + 1; b < m; b++)
            {
                var q = fresh[b];
                if (q < 0)
                {
                    continue;
                }
                var distance = SquaredEuclidean.Distance(rowP, SquaredEuclidean.Row(data, q, d));
                if (distance < limitP || distance < distances[q * k])
                {
                    updates.Add(new Update(p, q, distance));
                }
            }
            for (var b = 0; b < m; b++)
            {
                var q = old[b];
                if (q < 0 || q == p)
                {
                    continue;
                }
                var distance = SquaredEuclidean.Distance(rowP, SquaredEuclidean.Row(data, q, d));
                if (distance < limitP || distance < distances[q * k])
                {
                    updates.Add(new Update(p, q, distance));
                }
            }
        }
    }

    private readonly record struct Update(int P, int Q, float Distance);

    /// <summary>The graph being built: k slots per point of squared distance, index and whether the neighbour is new.</summary>
    private sealed record Heaps(int K, float[] Distances, int[] Indices, bool[] IsNew);
}
