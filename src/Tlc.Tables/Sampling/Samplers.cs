using System.Collections;
using Tlc.Schemas;

namespace Tlc.Tables.Sampling;

/// <summary>A sequence of row indices for one epoch of a data loader.</summary>
public interface ISampler : IEnumerable<long>
{
    /// <summary>The number of indices one epoch yields.</summary>
    long Count { get; }
}

/// <summary>
/// Samplers over a table's <c>weight</c> column (3LC's weighted sampling): a weight above 1 is sampled more often, 0 never.
/// Every sampler is seeded: the same seed and epoch give the same indices. Under distributed training every rank builds
/// the same epoch (seed <see cref="EpochSeed"/>) and takes its share with <see cref="ForRank"/>.
/// </summary>
public static class Samplers
{
    /// <summary>The weights of <paramref name="table"/>'s weight column (the column with <see cref="SampleWeightSchema"/>).</summary>
    public static float[] Weights(Table table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var column = table.Schema.FirstOrDefault(kv => kv.Value is SampleWeightSchema).Key
            ?? throw new InvalidOperationException($"{table.Url} has no weight column (SampleWeightSchema).");
        var weights = new float[table.RowCount];
        long i = 0;
        foreach (var batch in table.ScanBatches())
        {
            var array = (Apache.Arrow.FloatArray)batch.Column(column);
            for (var j = 0; j < array.Length; j++)
            {
                weights[i++] = array.GetValue(j) ?? 0f;
            }
        }
        return weights;
    }

    /// <summary>All rows in order.</summary>
    public static ISampler Sequential(long count) => new IndexSampler(Enumerable.Range(0, checked((int)count)).Select(i => (long)i).ToArray());

    /// <summary>The rows with a weight above 0, in order, or shuffled when <paramref name="seed"/> is given.</summary>
    public static ISampler ExcludeZeroWeights(IReadOnlyList<float> weights, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var rows = Enumerable.Range(0, weights.Count).Where(i => weights[i] > 0).Select(i => (long)i).ToArray();
        if (seed is { } s)
        {
            new Random(s).Shuffle(rows);
        }
        return new IndexSampler(rows);
    }

    /// <summary>
    /// <paramref name="samples"/> draws (default: as many as rows) with probability proportional to weight, with
    /// replacement (PyTorch's <c>WeightedRandomSampler</c>).
    /// </summary>
    public static ISampler Weighted(IReadOnlyList<float> weights, int seed, long? samples = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var cumulative = new double[weights.Count];
        double total = 0;
        for (var i = 0; i < weights.Count; i++)
        {
            if (weights[i] < 0 || float.IsNaN(weights[i]))
            {
                throw new ArgumentException($"Weight of row {i} is {weights[i]}; weights must be at least 0.", nameof(weights));
            }
            total += weights[i];
            cumulative[i] = total;
        }
        if (total <= 0)
        {
            throw new ArgumentException("Every weight is 0: nothing can be sampled.", nameof(weights));
        }
        var count = samples ?? weights.Count;
        var random = new Random(seed);
        var rows = new long[count];
        for (long n = 0; n < count; n++)
        {
            var x = random.NextDouble() * total;
            var i = System.Array.BinarySearch(cumulative, x);
            i = i < 0 ? ~i : i + 1;
            // Skip zero-weight rows that share the cumulative value.
            while (i < weights.Count - 1 && weights[i] == 0)
            {
                i++;
            }
            rows[n] = Math.Min(i, weights.Count - 1);
        }
        return new IndexSampler(rows);
    }

    /// <summary>
    /// Each row repeated by its weight — floor(w) times, plus once more with probability frac(w) — and shuffled: an epoch's
    /// length is about the sum of the weights (3LC's <c>RepeatByWeightSampler</c>).
    /// </summary>
    public static ISampler RepeatByWeight(IReadOnlyList<float> weights, int seed)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var random = new Random(seed);
        var rows = new List<long>();
        for (var i = 0; i < weights.Count; i++)
        {
            var w = weights[i];
            if (w < 0 || float.IsNaN(w))
            {
                throw new ArgumentException($"Weight of row {i} is {w}; weights must be at least 0.", nameof(weights));
            }
            var times = (int)Math.Floor(w);
            if (random.NextDouble() < w - times)
            {
                times++;
            }
            for (var t = 0; t < times; t++)
            {
                rows.Add(i);
            }
        }
        var array = rows.ToArray();
        random.Shuffle(array);
        return new IndexSampler(array);
    }

    /// <summary>
    /// The seed of an epoch: <paramref name="seed"/> + <paramref name="epoch"/> (as PyTorch's <c>DistributedSampler</c>), so
    /// that every rank draws the same epoch from the same seed and each epoch differs.
    /// </summary>
    public static int EpochSeed(int seed, int epoch) => unchecked(seed + epoch);

    /// <summary>
    /// Rank <paramref name="rank"/>'s share of an epoch of <paramref name="epoch"/> (any sampler above, built the same on every
    /// rank: same seed, same epoch): the indices at positions rank, rank + worldSize, … (PyTorch's
    /// <c>DistributedSampler</c> order). <paramref name="padding"/> says what happens when the epoch does not divide evenly;
    /// with <see cref="RankPadding.None"/> every index of the epoch is in exactly one rank's share.
    /// </summary>
    public static ISampler ForRank(ISampler epoch, int rank, int worldSize, RankPadding padding = RankPadding.None)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        if (worldSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(worldSize), worldSize, "The world size must be at least 1.");
        }
        if (rank < 0 || rank >= worldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(rank), rank, $"The rank must be 0..{worldSize - 1}.");
        }
        var all = epoch.ToArray();
        var length = padding switch
        {
            RankPadding.Repeat => (all.LongLength + worldSize - 1) / worldSize * worldSize,
            RankPadding.Drop => all.LongLength / worldSize * worldSize,
            _ => all.LongLength,
        };
        if (padding == RankPadding.Repeat && all.Length == 0)
        {
            length = 0;
        }
        var mine = new List<long>(checked((int)(length / worldSize + 1)));
        for (long position = rank; position < length; position += worldSize)
        {
            mine.Add(all[position % all.LongLength]);
        }
        return new IndexSampler([.. mine]);
    }

    /// <summary>
    /// Rank <paramref name="rank"/>'s share of an exact evaluation over <paramref name="count"/> rows: rows rank,
    /// rank + worldSize, … in order — every row in exactly one rank's share, no padding, any count.
    /// </summary>
    public static ISampler ExactEvaluation(long count, int rank, int worldSize) => ForRank(Sequential(count), rank, worldSize, RankPadding.None);

    private sealed class IndexSampler(long[] rows) : ISampler
    {
        public long Count => rows.LongLength;

        public IEnumerator<long> GetEnumerator() => ((IEnumerable<long>)rows).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
