namespace Tlc.Metrics.Reduction;

/// <summary>
/// UMAP's layout optimisation (McInnes et al. 2018, §3.2; umap-learn's <c>optimize_layout_euclidean</c>): stochastic
/// gradient descent on the fuzzy cross-entropy, sampling each edge in proportion to its weight (edge e every
/// max(w)/w(e) epochs), pulling its ends together along the curve 1 / (1 + a·d^(2b)), and pushing the head away from
/// <see cref="NegativeSampleRate"/> uniformly drawn points per positive sample. Gradients are clipped to ±4 per
/// coordinate; the learning rate falls linearly from 1 to 0 over the epochs. Edges weaker than max(w)/epochs, which
/// would never be sampled, are left out.
/// </summary>
/// <remarks>
/// Parallel and still deterministic, unlike umap-learn's parallel layout (Hogwild: threads race on shared points, so its
/// result depends on scheduling): the points are cut into 16 fixed chunks, each chunk's edges (sorted by head) are run
/// in order with the chunk's own generator (seed, epoch, chunk), and an edge moves only its head, which its chunk owns.
/// A chunk reads its own points live and the others' as they stood at the start of the epoch (a copy), so no read
/// races a write. Each fuzzy edge is listed both ways, so the head moves twice as far as umap-learn moves each end:
/// both ends get the same pull per sample as there.
/// </remarks>
internal static class UmapLayout
{
    /// <summary>Negative samples per positive sample (umap-learn's <c>negative_sample_rate</c>).</summary>
    public const int NegativeSampleRate = 5;

    private const float InitialAlpha = 1f;
    private const float Gamma = 1f; // repulsion strength
    private const float Clip = 4f;

    /// <summary>Fixed chunks of points laid out in parallel (the partition, not the thread count, fixes the result).</summary>
    private const int Chunks = 16;

    /// <summary>
    /// Optimises <paramref name="embedding"/> (points × <paramref name="dimensions"/>, row-major, already initialised) in
    /// place for <paramref name="epochs"/> epochs.
    /// </summary>
    /// <returns>The number of edges sampled (those not pruned).</returns>
    public static int Optimize(float[] embedding, int dimensions, FuzzySimplicialSet graph, int epochs, double a, double b, long seed,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        var n = graph.Points;
        if (embedding.Length != n * dimensions)
        {
            throw new ArgumentException($"The embedding has {embedding.Length} values, not {n} × {dimensions}.", nameof(embedding));
        }
        var max = 0f;
        foreach (var w in graph.Weights)
        {
            max = Math.Max(max, w);
        }
        if (!(max > 0))
        {
            return 0; // no edges: the initial layout stays
        }
        var threshold = max / epochs;
        var kept = 0;
        foreach (var w in graph.Weights)
        {
            if (w >= threshold)
            {
                kept++;
            }
        }
        var heads = new int[kept];
        var tails = new int[kept];
        var perSample = new float[kept];
        var nextSample = new float[kept];
        var perNegative = new float[kept];
        var nextNegative = new float[kept];
        for (int e = 0, at = 0; e < graph.Weights.Length; e++)
        {
            var w = graph.Weights[e];
            if (w >= threshold)
            {
                heads[at] = graph.Heads[e];
                tails[at] = graph.Tails[e];
                perSample[at] = max / w;
                nextSample[at] = perSample[at];
                perNegative[at] = perSample[at] / NegativeSampleRate;
                nextNegative[at] = perNegative[at];
                at++;
            }
        }

        var fa = (float)a;
        var fb = (float)b;
        var schedule = new Schedule(heads, tails, perSample, nextSample, perNegative, nextNegative);
        // Fixed chunks of heads (and so of edges, which are sorted by head), independent of the thread count.
        var chunks = new (int First, int End, int EdgeStart, int EdgeEnd)[Chunks];
        for (var c = 0; c < Chunks; c++)
        {
            var first = (int)((long)c * n / Chunks);
            var end = (int)((long)(c + 1) * n / Chunks);
            chunks[c] = (first, end, LowerBound(heads, first), LowerBound(heads, end));
        }
        var snapshot = new float[embedding.Length];
        var parallel = new ParallelOptions { CancellationToken = cancellationToken };
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var alpha = InitialAlpha * (1f - ((float)epoch / epochs));
            embedding.CopyTo(snapshot, 0);
            var at = epoch;
            Parallel.For(0, Chunks, parallel, c =>
            {
                var random = new SeededRandom(seed, ((long)at * Chunks) + c);
                if (dimensions == 2)
                {
                    Epoch2(embedding, snapshot, n, schedule, chunks[c], at, alpha, fa, fb, ref random);
                }
                else
                {
                    Epoch(embedding, snapshot, n, dimensions, schedule, chunks[c], at, alpha, fa, fb, ref random);
                }
            });
        }
        return kept;
    }

    /// <summary>
    /// One epoch of one chunk's due edges: moves only the chunk's own points, reading them live and every other point as it
    /// stood at the epoch's start.
    /// </summary>
    private static void Epoch(float[] embedding, float[] snapshot, int n, int dimensions, Schedule schedule,
        (int First, int End, int EdgeStart, int EdgeEnd) chunk, int epoch, float alpha, float a, float b, ref SeededRandom random)
    {
        // Twice umap-learn's pull on the head alone: each edge is listed both ways, so each end still gets the pull that
        // moving both ends of both copies gives it.
        var attract = -4f * a * b;
        var repel = 2f * Gamma * b;
        var own = embedding.AsSpan(chunk.First * dimensions, (chunk.End - chunk.First) * dimensions);
        Span<float> other = stackalloc float[dimensions];
        for (var e = chunk.EdgeStart; e < chunk.EdgeEnd; e++)
        {
            if (schedule.NextSample[e] > epoch)
            {
                continue;
            }
            var head = schedule.Heads[e];
            var current = own.Slice((head - chunk.First) * dimensions, dimensions);
            Read(schedule.Tails[e], embedding, snapshot, dimensions, chunk, other);
            var d2 = 0f;
            for (var c = 0; c < dimensions; c++)
            {
                var diff = current[c] - other[c];
                d2 += diff * diff;
            }
            if (d2 > 0)
            {
                var pb = FastPow.Pow(d2, b);
                var coefficient = attract * (pb / d2) / ((a * pb) + 1f);
                for (var c = 0; c < dimensions; c++)
                {
                    current[c] += Clamp(coefficient * (current[c] - other[c])) * alpha;
                }
            }
            schedule.NextSample[e] += schedule.PerSample[e];

            var negatives = (int)((epoch - schedule.NextNegative[e]) / schedule.PerNegative[e]);
            for (var p = 0; p < negatives; p++)
            {
                var index = random.NextInt(n);
                if (index == head)
                {
                    continue;
                }
                Read(index, embedding, snapshot, dimensions, chunk, other);
                d2 = 0f;
                for (var c = 0; c < dimensions; c++)
                {
                    var diff = current[c] - other[c];
                    d2 += diff * diff;
                }
                if (!(d2 > 0))
                {
                    continue; // a coincident point gives no direction to push along
                }
                var pb = FastPow.Pow(d2, b);
                var coefficient = repel / ((0.001f + d2) * ((a * pb) + 1f));
                for (var c = 0; c < dimensions; c++)
                {
                    current[c] += Clamp(coefficient * (current[c] - other[c])) * alpha;
                }
            }
            schedule.NextNegative[e] += negatives * schedule.PerNegative[e];
        }
    }

    /// <summary><see cref="Epoch"/> for 2-D, the common case, with the coordinates in locals: the same arithmetic in the same order.</summary>
    private static void Epoch2(float[] embedding, float[] snapshot, int n, Schedule schedule,
        (int First, int End, int EdgeStart, int EdgeEnd) chunk, int epoch, float alpha, float a, float b, ref SeededRandom random)
    {
        var attract = -4f * a * b;
        var repel = 2f * Gamma * b;
        var heads = schedule.Heads;
        var tails = schedule.Tails;
        var nextSample = schedule.NextSample;
        var perSample = schedule.PerSample;
        var nextNegative = schedule.NextNegative;
        var perNegative = schedule.PerNegative;
        for (var e = chunk.EdgeStart; e < chunk.EdgeEnd; e++)
        {
            if (nextSample[e] > epoch)
            {
                continue;
            }
            var head = heads[e];
            var x = embedding[2 * head];
            var y = embedding[(2 * head) + 1];
            var tail = tails[e];
            var source = tail >= chunk.First && tail < chunk.End ? embedding : snapshot;
            var dx = x - source[2 * tail];
            var dy = y - source[(2 * tail) + 1];
            var d2 = (dx * dx) + (dy * dy);
            if (d2 > 0)
            {
                var pb = FastPow.Pow(d2, b);
                var coefficient = attract * (pb / d2) / ((a * pb) + 1f);
                x += Clamp(coefficient * dx) * alpha;
                y += Clamp(coefficient * dy) * alpha;
            }
            nextSample[e] += perSample[e];

            var negatives = (int)((epoch - nextNegative[e]) / perNegative[e]);
            for (var p = 0; p < negatives; p++)
            {
                var index = random.NextInt(n);
                if (index == head)
                {
                    continue;
                }
                source = index >= chunk.First && index < chunk.End ? embedding : snapshot;
                dx = x - source[2 * index];
                dy = y - source[(2 * index) + 1];
                d2 = (dx * dx) + (dy * dy);
                if (!(d2 > 0))
                {
                    continue;
                }
                var pb = FastPow.Pow(d2, b);
                var coefficient = repel / ((0.001f + d2) * ((a * pb) + 1f));
                x += Clamp(coefficient * dx) * alpha;
                y += Clamp(coefficient * dy) * alpha;
            }
            embedding[2 * head] = x;
            embedding[(2 * head) + 1] = y;
            nextNegative[e] += negatives * perNegative[e];
        }
    }

    /// <summary>Point <paramref name="index"/>: live when the chunk owns it, else as at the epoch's start.</summary>
    private static void Read(int index, float[] embedding, float[] snapshot, int dimensions, (int First, int End, int EdgeStart, int EdgeEnd) chunk, Span<float> into)
    {
        var source = index >= chunk.First && index < chunk.End ? embedding : snapshot;
        for (var c = 0; c < into.Length; c++)
        {
            into[c] = source[(index * dimensions) + c];
        }
    }

    private static int LowerBound(int[] sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private static float Clamp(float value) => value > Clip ? Clip : value < -Clip ? -Clip : value;

    private readonly record struct Schedule(int[] Heads, int[] Tails, float[] PerSample, float[] NextSample, float[] PerNegative, float[] NextNegative);
}
