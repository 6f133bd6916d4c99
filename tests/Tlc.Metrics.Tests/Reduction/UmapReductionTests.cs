using Tlc.Metrics.Reduction;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests.Reduction;

/// <summary>UMAP through <see cref="EmbeddingReducer"/>: quality against PCA on real embeddings, determinism, edge cases.</summary>
public sealed class UmapReductionTests : IDisposable
{
    private readonly TempRoot _root = new("umap");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Reduce_FashionMnistCnnEmbeddings_UmapTrustworthinessAtK10IsAtLeastPcas()
    {
        var ct = TestContext.Current.CancellationToken;
        // The trained CNN's 128-value embeddings (layer 9) of the first 2,500 test images: real model embeddings.
        var (rows, labels) = CnnEmbeddings(2500);
        using var table = await WriteAsync("cnn", rows, ct);

        var pca = await EmbeddingReducer.ReduceAsync(table, "embeddings_cnn", new EmbeddingReducerOptions { Method = ReductionMethod.Pca }, ct);
        var umap = await EmbeddingReducer.ReduceAsync(table, "embeddings_cnn", new EmbeddingReducerOptions { Method = ReductionMethod.Umap, Seed = 1 }, ct);

        var trustPca = Trustworthiness.Of(rows, pca.Values.Select(v => v!).ToList(), 10);
        var trustUmap = Trustworthiness.Of(rows, umap.Values.Select(v => v!).ToList(), 10);
        TestContext.Current.TestOutputHelper?.WriteLine($"trustworthiness at k = 10: UMAP {trustUmap:F4}, PCA {trustPca:F4}");
        Assert.True(trustUmap >= trustPca, $"UMAP's trustworthiness {trustUmap:F4} is below PCA's {trustPca:F4}");
        Assert.True(trustUmap > 0.95, $"UMAP's trustworthiness {trustUmap:F4}");
        // Its neighbourhoods are the classes': most points' nearest embedded neighbour has their label.
        var points = umap.Values.Select(v => v!).ToArray();
        var agree = Enumerable.Range(0, points.Length).Count(i => labels[Enumerable.Range(0, points.Length).Where(j => j != i)
            .MinBy(j => Squared(points[i], points[j]))] == labels[i]);
        Assert.True(agree > 0.8 * points.Length, $"{agree} of {points.Length} points share their nearest neighbour's label");

        Assert.Equal(ReductionMethod.Umap, umap.Method);
        Assert.Null(umap.Model);
        Assert.Equal("embeddings_cnn_umap", umap.OutputColumn);
        using var revised = await umap.WriteAsync(table, ct);
        var schema = Assert.IsType<EmbeddingSchema>(revised.Schema["embeddings_cnn_umap"]);
        Assert.Equal(2, schema.Dimensions);
        Assert.StartsWith("UMAP of embeddings_cnn (2-D, 2500 rows, 15 neighbours, min_dist 0.1, 500 epochs, seed 1, exact neighbours)", schema.Description, StringComparison.Ordinal);
        Assert.Equal(points[42], (float[])revised.GetValue("embeddings_cnn_umap", 42)!);
    }

    [Fact(Timeout = 120_000)]
    public async Task Reduce_UmapSameSeed_BitwiseEqualAndAnotherSeedDiffers()
    {
        var ct = TestContext.Current.CancellationToken;
        var rows = Clusters(800, 16, 5, seed: 3);
        using var table = await WriteAsync("clusters", rows, ct);
        var options = new EmbeddingReducerOptions { Method = ReductionMethod.Umap, Seed = 7, Components = 3 };

        var first = await EmbeddingReducer.ReduceAsync(table, "embeddings_clusters", options, ct);
        var second = await EmbeddingReducer.ReduceAsync(table, "embeddings_clusters", options, ct);
        var other = await EmbeddingReducer.ReduceAsync(table, "embeddings_clusters", options with { Seed = 8 }, ct);

        Assert.Equal(Bits(first.Values), Bits(second.Values));
        Assert.NotEqual(Bits(first.Values), Bits(other.Values));
        Assert.All(first.Values, v => Assert.Equal(3, v!.Length));
    }

    [Fact(Timeout = 120_000)]
    public void Fit_NnDescentPath_SameSeedSameBitsWhateverTheThreads()
    {
        var ct = TestContext.Current.CancellationToken;
        // Above the exact-neighbour threshold: NN-descent's parallel joins, then the layout (a few epochs keep it short).
        var rows = Clusters(UmapModel.ExactNeighborsUpTo + 900, 12, 8, seed: 5);
        var data = rows.SelectMany(r => r).ToArray();
        var options = new EmbeddingReducerOptions { Method = ReductionMethod.Umap, Seed = 11, Epochs = 30 };

        var first = UmapModel.Fit(data, rows.Length, 12, options, ct);
        var second = UmapModel.Fit(data, rows.Length, 12, options, ct);
        var otherSeed = UmapModel.Fit(data, rows.Length, 12, options with { Seed = 12 }, ct);

        Assert.False(first.ExactNeighbors);
        Assert.True(first.NeighborIterations >= 1);
        Assert.Equal(first.Embedding, second.Embedding);
        Assert.NotEqual(first.Embedding, otherSeed.Embedding);
        Assert.All(first.Embedding, v => Assert.True(float.IsFinite(v)));
    }

    [Fact(Timeout = 120_000)]
    public void Build_NnDescentOnClusteredPoints_RecallsMostExactNeighbours()
    {
        var ct = TestContext.Current.CancellationToken;
        const int n = 6000, d = 32, k = 14;
        var rows = Clusters(n, d, 10, seed: 9);
        var data = rows.SelectMany(r => r).ToArray();

        var exact = ExactNeighbors.Build(data, n, d, k, ct);
        var approximate = NnDescent.Build(data, n, d, k, seed: 1, ct);

        var found = 0;
        for (var i = 0; i < n; i++)
        {
            var truth = exact.Indices.AsSpan(i * k, k).ToArray().ToHashSet();
            found += approximate.Indices.AsSpan(i * k, k).ToArray().Count(truth.Contains);
        }
        var recall = found / (double)(n * k);
        TestContext.Current.TestOutputHelper?.WriteLine($"NN-descent recall {recall:F4} after {approximate.Iterations} iterations");
        Assert.True(recall > 0.95, $"recall {recall:F4}");
        for (var i = 0; i < n; i++)
        {
            var distances = approximate.Distances.AsSpan(i * k, k);
            for (var s = 1; s < k; s++)
            {
                Assert.True(distances[s - 1] <= distances[s]);
            }
            Assert.DoesNotContain(i, approximate.Indices.AsSpan(i * k, k).ToArray());
        }
    }

    [Fact]
    public void Fit_DefaultMinDistance_GivesUmapLearnsCurve()
    {
        var (a, b) = UmapCurve.Fit(0.1);
        // umap-learn's find_ab_params(1.0, 0.1): a = 1.5769434603, b = 0.8950608779.
        Assert.Equal(1.5769434603, a, 3);
        Assert.Equal(0.8950608779, b, 3);
        var (a0, b0) = UmapCurve.Fit(0.5);
        Assert.True(a0 < a && b0 > b, $"a {a0}, b {b0}: a wider minimum distance flattens the curve's start");
    }

    [Fact]
    public void Pow_OverTheLayoutsRange_WithinTenToTheMinusFiveOfMathPow()
    {
        foreach (var b in new[] { 0.8950608779f, 0.79f, 1.93f })
        {
            for (var e = -30.0; e <= 12; e += 0.0137)
            {
                var x = (float)Math.Pow(10, e);
                var expected = Math.Pow(x, b);
                if (expected is < 1.2e-38 or > 3e38)
                {
                    continue; // outside float's normal range
                }
                Assert.True(Math.Abs(FastPow.Pow(x, b) - expected) <= 1e-5 * expected, $"{x}^{b}: {FastPow.Pow(x, b)} vs {expected}");
            }
        }
        Assert.Equal(0f, FastPow.Exp2(-200f));
        Assert.Equal(float.PositiveInfinity, FastPow.Exp2(200f));
        Assert.Equal(-144, FastPow.Log2(float.Epsilon * 32), 3); // a subnormal, 2^-149 · 2^5
    }

    [Fact]
    public void Build_FuzzySimplicialSet_SymmetricMembershipsWithTheTargetSum()
    {
        var ct = TestContext.Current.CancellationToken;
        const int n = 300, d = 8, k = 9;
        var rows = Clusters(n, d, 3, seed: 2);
        var graph = ExactNeighbors.Build(rows.SelectMany(r => r).ToArray(), n, d, k, ct);

        var memberships = FuzzySimplicialSet.Memberships(graph, ct);
        for (var i = 0; i < n; i++)
        {
            var row = memberships.AsSpan(i * k, k);
            Assert.Equal(1f, row[0]); // the nearest neighbour is at ρ
            Assert.Equal(Math.Log2(k + 1), row.ToArray().Sum(w => (double)w), 3);
        }
        var set = FuzzySimplicialSet.Build(graph, ct);
        var edges = Enumerable.Range(0, set.Heads.Length).ToDictionary(e => (set.Heads[e], set.Tails[e]), e => set.Weights[e]);
        foreach (var ((head, tail), weight) in edges)
        {
            Assert.Equal(weight, edges[(tail, head)]);
            Assert.True(weight is > 0 and <= 1);
        }
        Assert.True(set.Heads.Zip(set.Tails).SequenceEqual(set.Heads.Zip(set.Tails).OrderBy(e => e.First).ThenBy(e => e.Second)), "edges sorted by head, then tail");
    }

    [Fact(Timeout = 60_000)]
    public async Task Reduce_UmapFewerRowsThanNeighbours_EmbedsThemAll()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await WriteAsync("few", [[0f, 0f, 1f], [1f, 0f, 1f], [0f, 1f, 1f], [5f, 5f, 1f], [6f, 5f, 1f]], ct);
        var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings_few", new EmbeddingReducerOptions { Method = ReductionMethod.Umap }, ct);
        Assert.All(reduction.Values, v => Assert.True(v!.All(float.IsFinite)));
        Assert.Contains("5 rows, 5 neighbours", reduction.Description, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Reduce_UmapDuplicatePointsAndAConstantColumn_FiniteAndDuplicatesStayTogether()
    {
        var ct = TestContext.Current.CancellationToken;
        // 100 distinct points in two groups, each three times, and a column that is 1 everywhere.
        var random = new Random(4);
        var distinct = Enumerable.Range(0, 100).Select(i => new[] { (float)random.NextDouble() + (i < 50 ? 0 : 20), (float)random.NextDouble(), 1f }).ToArray();
        var rows = Enumerable.Range(0, 300).Select(i => distinct[i % 100]).ToArray();
        using var table = await WriteAsync("duplicates", rows, ct);
        var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings_duplicates", new EmbeddingReducerOptions { Method = ReductionMethod.Umap }, ct);
        var points = reduction.Values.Select(v => v!).ToArray();
        Assert.All(points, p => Assert.True(p.All(float.IsFinite)));
        var spread = Math.Sqrt(Squared(points.MinBy(p => p[0])!, points.MaxBy(p => p[0])!));
        for (var i = 0; i < 100; i++)
        {
            Assert.True(Math.Sqrt(Squared(points[i], points[i + 100])) < spread / 10, $"copies of point {i} lie apart");
        }

        // Every row the same point: a finite blob around the middle of the initial range (the noise that separates duplicates,
        // spread by the layout's clipped steps).
        using var same = await WriteAsync("same", Enumerable.Range(0, 40).Select(_ => new[] { 3f, 3f, 3f }).ToArray(), ct);
        var collapsed = await EmbeddingReducer.ReduceAsync(same, "embeddings_same", new EmbeddingReducerOptions { Method = ReductionMethod.Umap }, ct);
        Assert.All(collapsed.Values, v => Assert.True(v!.All(c => float.IsFinite(c) && Math.Abs(c - 5) < 50)));
    }

    [Fact(Timeout = 60_000)]
    public async Task Reduce_UmapBadInputOrOptions_IsAClearError()
    {
        var ct = TestContext.Current.CancellationToken;
        var umap = new EmbeddingReducerOptions { Method = ReductionMethod.Umap };
        using var two = await WriteAsync("two", [[1f, 2f], [3f, 1f]], ct);
        Assert.Contains("UMAP to 2 dimensions needs at least 3 rows; got 2", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(two, "embeddings_two", umap, ct))).Message, StringComparison.Ordinal);
        using var flat = await WriteAsync("flat", [[1f], [2f], [3f], [4f]], ct);
        Assert.Contains("needs rows of at least 2 values", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(flat, "embeddings_flat", umap, ct))).Message, StringComparison.Ordinal);
        using var nan = await WriteAsync("nan", [[1f, 2f], [3f, float.NaN], [0f, 0f], [1f, 1f]], ct);
        Assert.Contains("row 1, value 1 is NaN", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(nan, "embeddings_nan", umap, ct))).Message, StringComparison.Ordinal);
        using var table = await WriteAsync("ok", [[1f, 2f], [3f, 1f], [0f, 0f], [1f, 1f]], ct);
        foreach (var bad in new[] { umap with { Neighbors = 1 }, umap with { MinDistance = 1.5 }, umap with { Epochs = 0 }, umap with { Method = (ReductionMethod)7 } })
        {
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => EmbeddingReducer.ReduceAsync(table, "embeddings_ok", bad, ct));
        }
        Assert.Equal("embeddings_ok_pca", (await EmbeddingReducer.ReduceAsync(table, "embeddings_ok", cancellationToken: ct)).OutputColumn);
    }

    /// <summary>The CNN's embeddings (layer 9, 128 values) of the first <paramref name="count"/> test images, and their labels.</summary>
    private static (float[][] Rows, long[] Labels) CnnEmbeddings(int count)
    {
        var (images, labels) = FashionMnist.ReadIdx(Fixtures.FashionMnistIdx, "t10k");
        using var x = images.narrow(0, 0, count);
        using var y = labels.narrow(0, 0, count);
        images.Dispose();
        labels.Dispose();
        using var model = new FashionMnistCnn();
        model.load(Fixtures.FashionMnistCnnWeights);
        using var predictor = new Predictor(model, [FashionMnistCnn.EmbeddingLayer]);
        using var output = predictor.Predict(x);
        var values = output.HiddenLayers[FashionMnistCnn.EmbeddingLayer].contiguous().data<float>().ToArray();
        var size = FashionMnistCnn.EmbeddingSize;
        return (Enumerable.Range(0, count).Select(i => values.AsSpan(i * size, size).ToArray()).ToArray(), y.data<long>().ToArray());
    }

    /// <summary><paramref name="n"/> points in <paramref name="d"/>-D around <paramref name="clusters"/> random centres (spread 10, noise 1).</summary>
    private static float[][] Clusters(int n, int d, int clusters, int seed)
    {
        var random = new Random(seed);
        var centres = Enumerable.Range(0, clusters).Select(_ => Enumerable.Range(0, d).Select(_ => random.NextDouble() * 10).ToArray()).ToArray();
        return Enumerable.Range(0, n).Select(i => centres[i % clusters].Select(c => (float)(c + Gaussian(random))).ToArray()).ToArray();
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Squared(float[] a, float[] b) => a.Select((v, j) => ((double)v - b[j]) * ((double)v - b[j])).Sum();

    private static int[] Bits(IReadOnlyList<float[]?> values) => [.. values.SelectMany(v => v!).Select(BitConverter.SingleToInt32Bits)];

    private async Task<Table> WriteAsync(string name, float[][] rows, CancellationToken ct)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { [$"embeddings_{name}"] = new EmbeddingSchema(rows[0].Length) },
            Project = "p",
            Dataset = "metrics",
            Table = name,
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
        }, ct);
        foreach (var row in rows)
        {
            writer.AddRow(new Dictionary<string, object?> { [$"embeddings_{name}"] = row });
        }
        return await writer.FinalizeAsync(ct);
    }
}
