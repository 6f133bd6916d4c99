namespace Tlc.Metrics.Reduction;

/// <summary>
/// Random projection trees (Dasgupta &amp; Freund 2008, as PyNNDescent seeds NN-descent with them): each tree splits the
/// points recursively by the hyperplane halfway between two random points of the node until a leaf holds at most
/// <c>leafSize</c> points; points that share a leaf are likely near each other. Tree t is a function of the seed and t.
/// </summary>
internal static class RandomProjectionForest
{
    /// <summary>The number of trees for <paramref name="n"/> points: min(64, 5 + round(√n / 20)), as umap-learn.</summary>
    public static int TreeCount(int n) => Math.Min(64, 5 + (int)Math.Round(Math.Sqrt(n) / 20));

    /// <summary>Tree <paramref name="tree"/>: a permutation of the points and the [start, end) ranges of its leaves in it.</summary>
    public static (int[] Order, List<(int Start, int End)> Leaves) Build(float[] data, int n, int d, int leafSize, long seed, int tree)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }
        var leaves = new List<(int, int)>();
        var random = new SeededRandom(seed, 1_000_000_007L + tree);
        var normal = new float[d];
        var stack = new Stack<(int Start, int End)>();
        stack.Push((0, n));
        while (stack.Count > 0)
        {
            var (start, end) = stack.Pop();
            var count = end - start;
            if (count <= leafSize)
            {
                leaves.Add((start, end));
                continue;
            }
            var a = order[start + random.NextInt(count)];
            var b = order[start + random.NextInt(count - 1)];
            if (b == a)
            {
                b = order[end - 1];
            }
            // The hyperplane through the midpoint of a and b, normal to b − a: sign of (x − (a + b)/2)·(b − a).
            var rowA = SquaredEuclidean.Row(data, a, d);
            var rowB = SquaredEuclidean.Row(data, b, d);
            var offset = 0f;
            for (var j = 0; j < d; j++)
            {
                normal[j] = rowB[j] - rowA[j];
                offset -= normal[j] * (rowA[j] + rowB[j]) * 0.5f;
            }
            var left = start;
            var right = end - 1;
            while (left <= right)
            {
                var row = SquaredEuclidean.Row(data, order[left], d);
                var margin = offset;
                for (var j = 0; j < d; j++)
                {
                    margin += normal[j] * row[j];
                }
                if (margin < 0 || (margin == 0 && (random.NextUInt64() & 1) == 0))
                {
                    left++;
                }
                else
                {
                    (order[left], order[right]) = (order[right], order[left]);
                    right--;
                }
            }
            var split = left;
            if (split == start || split == end)
            {
                split = start + (count / 2); // every point on one side (e.g. duplicates): halve the node as it stands
            }
            stack.Push((split, end));
            stack.Push((start, split));
        }
        return (order, leaves);
    }
}
