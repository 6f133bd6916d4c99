namespace Tlc.Metrics.Reduction;

/// <summary>
/// A UMAP embedding of a set of points (McInnes, Healy &amp; Melville 2018, "UMAP: Uniform Manifold Approximation and
/// Projection for Dimension Reduction"), computed as umap-learn does with its defaults, Euclidean metric:
/// <list type="number">
/// <item>the k − 1 nearest other points of each (k = <see cref="EmbeddingReducerOptions.Neighbors"/>, counting the point
/// itself): exactly up to <see cref="ExactNeighborsUpTo"/> points, else by seeded NN-descent (<see cref="NnDescent"/>);</item>
/// <item>the fuzzy simplicial set of that graph (<see cref="FuzzySimplicialSet"/>);</item>
/// <item>an initial layout from the PCA of the points (<see cref="PcaModel"/>, fitted on at most
/// <see cref="EmbeddingReducerOptions.MaxFitRows"/> evenly spaced points), each coordinate scaled to [0, 10], plus
/// Gaussian noise of σ 10^-4 (which separates duplicate points);</item>
/// <item>the SGD layout with negative sampling (<see cref="UmapLayout"/>) for 500 epochs up to 10,000 points, else 200,
/// with the curve's a and b fitted to <see cref="EmbeddingReducerOptions.MinDistance"/> (<see cref="UmapCurve"/>).</item>
/// </list>
/// The result is a function of the points and the options alone: the same seed gives the same bits, whatever the thread
/// count or scheduling.
/// </summary>
internal sealed class UmapModel
{
    /// <summary>Up to this many points the nearest neighbours are found exactly (umap-learn's threshold too).</summary>
    public const int ExactNeighborsUpTo = 4096;

    private UmapModel(float[] embedding, int points, int components, int neighbors, int epochs, int edges, NeighborGraph graph, double a, double b)
    {
        Embedding = embedding;
        Points = points;
        Components = components;
        Neighbors = neighbors;
        Epochs = epochs;
        Edges = edges;
        ExactNeighbors = graph.Exact;
        NeighborIterations = graph.Iterations;
        A = a;
        B = b;
    }

    /// <summary>The layout: <see cref="Points"/> × <see cref="Components"/> coordinates, row-major.</summary>
    public float[] Embedding { get; }

    /// <summary>The number of points embedded.</summary>
    public int Points { get; }

    /// <summary>The output dimension.</summary>
    public int Components { get; }

    /// <summary>The neighbourhood size used, counting the point itself (fewer than asked when there are fewer points).</summary>
    public int Neighbors { get; }

    /// <summary>The layout epochs run.</summary>
    public int Epochs { get; }

    /// <summary>The directed edges the layout sampled (both directions of each fuzzy edge, the weakest pruned).</summary>
    public int Edges { get; }

    /// <summary>Whether the neighbours were found exactly rather than by NN-descent.</summary>
    public bool ExactNeighbors { get; }

    /// <summary>The NN-descent iterations run (0 when exact).</summary>
    public int NeighborIterations { get; }

    /// <summary>The curve's a.</summary>
    public double A { get; }

    /// <summary>The curve's b.</summary>
    public double B { get; }

    /// <summary>Point <paramref name="i"/>'s coordinates (a copy).</summary>
    public float[] Point(int i) => Embedding.AsSpan(i * Components, Components).ToArray();

    /// <summary>Embeds the <paramref name="n"/> rows of <paramref name="data"/> (row-major, <paramref name="d"/> finite values each).</summary>
    /// <exception cref="ArgumentException">Too few rows (at least components + 1) or dimensions (at least components).</exception>
    public static UmapModel Fit(float[] data, int n, int d, EmbeddingReducerOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var components = options.Components;
        if (n < components + 1)
        {
            throw new ArgumentException($"UMAP to {components} dimensions needs at least {components + 1} rows; got {n}.", nameof(n));
        }
        if (d < components)
        {
            throw new ArgumentException($"UMAP to {components} dimensions needs rows of at least {components} values; the rows have {d}.", nameof(d));
        }
        if ((long)n * d != data.Length)
        {
            throw new ArgumentException($"{data.Length} values are not {n} rows of {d}.", nameof(data));
        }
        var k = Math.Min(options.Neighbors - 1, n - 1);
        var graph = n <= ExactNeighborsUpTo
            ? Reduction.ExactNeighbors.Build(data, n, d, k, cancellationToken)
            : NnDescent.Build(data, n, d, k, options.Seed, cancellationToken);
        var set = FuzzySimplicialSet.Build(graph, cancellationToken);
        var embedding = InitialLayout(data, n, d, options);
        var epochs = options.Epochs ?? (n <= 10_000 ? 500 : 200);
        var (a, b) = UmapCurve.Fit(options.MinDistance);
        var edges = UmapLayout.Optimize(embedding, components, set, epochs, a, b, options.Seed, cancellationToken);
        return new UmapModel(embedding, n, components, k + 1, epochs, edges, graph, a, b);
    }

    /// <summary>The PCA coordinates of every point, each dimension scaled to [0, 10], plus seeded noise of σ 10^-4.</summary>
    private static float[] InitialLayout(float[] data, int n, int d, EmbeddingReducerOptions options)
    {
        var components = options.Components;
        var fitCount = Math.Min(n, Math.Max(options.MaxFitRows, components + 1));
        var fit = new List<float[]>(fitCount);
        for (var i = 0; i < fitCount; i++)
        {
            fit.Add(SquaredEuclidean.Row(data, (int)((long)i * n / fitCount), d).ToArray());
        }
        var pca = PcaModel.Fit(fit, components);
        var embedding = new float[n * components];
        for (var i = 0; i < n; i++)
        {
            pca.Transform(SquaredEuclidean.Row(data, i, d)).CopyTo(embedding, i * components);
        }
        for (var c = 0; c < components; c++)
        {
            float min = float.PositiveInfinity, max = float.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                min = Math.Min(min, embedding[(i * components) + c]);
                max = Math.Max(max, embedding[(i * components) + c]);
            }
            var scale = max > min ? 10f / (max - min) : 0f;
            for (var i = 0; i < n; i++)
            {
                // A dimension without spread (e.g. identical points) sits in the middle of the range.
                embedding[(i * components) + c] = scale > 0 ? (embedding[(i * components) + c] - min) * scale : 5f;
            }
        }
        var random = new SeededRandom(options.Seed, long.MaxValue);
        for (var i = 0; i < embedding.Length; i++)
        {
            embedding[i] += (float)(random.NextGaussian() * 1e-4);
        }
        return embedding;
    }
}
