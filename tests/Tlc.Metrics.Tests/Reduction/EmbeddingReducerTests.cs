using Tlc.Metrics.Reduction;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Metrics.Tests.Reduction;

public sealed class EmbeddingReducerTests : IDisposable
{
    private readonly TempRoot _root = new("pca");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task AddReducedColumn_KnownDominantDirections_FindsThemFittingOnASubset()
    {
        var ct = TestContext.Current.CancellationToken;
        // 500 points in 16-D: spread 10 along u, 3 along v (orthonormal, known), noise 0.05.
        const int n = 500, d = 16;
        var random = new Random(7);
        var u = Normalise(Enumerable.Range(0, d).Select(j => j < 8 ? 1.0 : 0.0).ToArray());
        var v = Normalise(Enumerable.Range(0, d).Select(j => j % 2 == 0 ? 1.0 : -1.0).ToArray());
        Assert.Equal(0, Dot(u, v), 12);
        var rows = new float[n][];
        for (var i = 0; i < n; i++)
        {
            var a = Gaussian(random) * 10;
            var b = Gaussian(random) * 3;
            rows[i] = Enumerable.Range(0, d).Select(j => (float)(5 + (a * u[j]) + (b * v[j]) + (Gaussian(random) * 0.05))).ToArray();
        }
        using var table = await WriteAsync("synthetic", rows, ct);

        var options = new EmbeddingReducerOptions { Components = 2, MaxFitRows = 100 };
        var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings_synthetic", options, ct);
        Assert.Equal(100, reduction.Model!.FitRows);
        Assert.True(Math.Abs(Dot(reduction.Model!.Components[0], u)) > 0.999, "the first component is u");
        Assert.True(Math.Abs(Dot(reduction.Model!.Components[1], v)) > 0.999, "the second component is v");
        foreach (var component in reduction.Model!.Components)
        {
            Assert.True(component.MaxBy(Math.Abs) > 0, "the largest coordinate of each component is positive");
        }

        // The same 100 evenly spaced rows through the covariance eigen-decomposition.
        var fit = Enumerable.Range(0, 100).Select(i => rows[i * n / 100]).ToList();
        var (mean, components, variances) = PcaReference.Fit(fit, 2);
        for (var k = 0; k < 2; k++)
        {
            Assert.Equal(variances[k], reduction.Model!.ExplainedVariance[k], 6);
            for (var j = 0; j < d; j++)
            {
                Assert.Equal(components[k][j], reduction.Model!.Components[k][j], 9);
            }
        }
        Assert.Equal(mean, reduction.Model!.Mean.ToArray());
        var expected = PcaReference.Project(rows, fit, 2);

        using var revised = await reduction.WriteAsync(table, ct);
        Assert.Equal(n, revised.RowCount);
        Assert.True(revised.Schema["embeddings_synthetic_pca"] is EmbeddingSchema { Dimensions: 2, Nullable: false });
        Assert.False(table.Schema.Contains("embeddings_synthetic_pca"), "the reduced table is not changed");
        // One point per row: a dense Arrow chunk beside the object file, not one JSON run per row.
        Assert.Equal(n, revised.Object.Edits!["embeddings_synthetic_pca"].Chunk!.Rows);
        Assert.Null(revised.Object.Edits["embeddings_synthetic_pca"].RunsAndValues);
        for (var i = 0; i < n; i++)
        {
            var point = (float[])revised.GetValue("embeddings_synthetic_pca", i)!;
            Assert.Equal(expected[i][0], point[0], 3);
            Assert.Equal(expected[i][1], point[1], 3);
        }
        var latest = await Table.OpenAsync(revised.Url, cancellationToken: ct);
        Assert.Equal(rows[123], (float[])latest.GetValue("embeddings_synthetic", 123)!);
    }

    [Fact(Timeout = 120_000)]
    public async Task Reduce_FashionMnistPixels_To3DMatchesTheCovarianceEigenvectors()
    {
        var ct = TestContext.Current.CancellationToken;
        // 300 real images (784 pixels in 0..1) from three classes.
        var files = new[] { "Trouser", "Sneaker", "Bag" }
            .SelectMany(c => Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, c), "*.png").Order(StringComparer.Ordinal).Take(100)).ToList();
        var rows = files.Select(f =>
        {
            var image = ImageSample.Decode(File.ReadAllBytes(f));
            return Enumerable.Range(0, 784).Select(p => image.GetGray(p % 28, p / 28) / 255f).ToArray();
        }).ToArray();
        using var table = await WriteAsync("pixels", rows, ct);
        var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings_pixels", new EmbeddingReducerOptions { Components = 3 }, ct);
        Assert.Equal(300, reduction.Model!.FitRows);
        var (_, components, variances) = PcaReference.Fit(rows, 3);
        Assert.True(variances[0] > variances[1] * 1.05 && variances[1] > variances[2] * 1.05, "distinct leading eigenvalues");
        for (var k = 0; k < 3; k++)
        {
            Assert.Equal(variances[k], reduction.Model!.ExplainedVariance[k], 6);
            Assert.True(Dot(components[k], reduction.Model!.Components[k]) > 0.99999, $"component {k} differs from the eigenvector");
        }
        var expected = PcaReference.Project(rows, rows, 3);
        for (var i = 0; i < rows.Length; i++)
        {
            for (var k = 0; k < 3; k++)
            {
                Assert.Equal(expected[i][k], reduction.Values[i]![k], 3);
            }
        }
        // Trousers, sneakers and bags fall apart along the first two components: the class means differ clearly.
        var centres = Enumerable.Range(0, 3).Select(c => (X: reduction.Values.Skip(c * 100).Take(100).Average(p => p![0]), Y: reduction.Values.Skip(c * 100).Take(100).Average(p => p![1]))).ToArray();
        Assert.True(centres.SelectMany((a, i) => centres.Skip(i + 1).Select(b => Math.Sqrt(Math.Pow(a.X - b.X, 2) + Math.Pow(a.Y - b.Y, 2)))).Min() > 1);
    }

    [Fact(Timeout = 120_000)]
    public async Task Reduce_BadInput_IsAClearError()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await WriteAsync("few", [[1f, 2f], [3f, 1f], [0f, 0f]], ct);
        Assert.Contains("no column 'embeddings_nope'", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(table, "embeddings_nope", cancellationToken: ct))).Message, StringComparison.Ordinal);
        Assert.Contains("not a list of float32", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(table, "example_id", cancellationToken: ct))).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            EmbeddingReducer.ReduceAsync(table, "embeddings_few", new EmbeddingReducerOptions { Components = 4 }, ct));
        // 3 components need 4 rows (and 3 dimensions).
        Assert.Contains("need at least", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(table, "embeddings_few", new EmbeddingReducerOptions { Components = 3 }, ct))).Message, StringComparison.Ordinal);
        var reduction = await EmbeddingReducer.ReduceAsync(table, "embeddings_few", cancellationToken: ct);
        using var revised = await reduction.WriteAsync(table, ct);
        Assert.Contains("already has a column 'embeddings_few_pca'", (await Assert.ThrowsAsync<ArgumentException>(() =>
            EmbeddingReducer.ReduceAsync(revised, "embeddings_few", cancellationToken: ct))).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task AddReducedColumn_NullEmbedding_StaysNullAndIsLeftOutOfTheFit()
    {
        var ct = TestContext.Current.CancellationToken;
        float[]?[] rows = [[0f, 0f, 1f], [2f, 0f, 1f], null, [4f, 1f, 1f], [6f, 1f, 1f]];
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["embeddings_sparse"] = new EmbeddingSchema(3) { Nullable = true } },
            Project = "p",
            Dataset = "metrics",
            Table = "sparse",
            Root = _root.Url,
            Settings = _root.Settings,
        }, ct);
        foreach (var row in rows)
        {
            writer.AddRow(new Dictionary<string, object?> { ["embeddings_sparse"] = row });
        }
        using var table = await writer.FinalizeAsync(ct);
        using var revised = await EmbeddingReducer.AddReducedColumnAsync(table, "embeddings_sparse", cancellationToken: ct);
        Assert.True(revised.Schema["embeddings_sparse_pca"] is EmbeddingSchema { Dimensions: 2, Nullable: true });
        Assert.Null(revised.GetValue("embeddings_sparse_pca", 2));
        var present = rows.Where(r => r is not null).Select(r => r!).ToList();
        var expected = PcaReference.Project(present, present, 2);
        var got = new[] { 0, 1, 3, 4 }.Select(i => (float[])revised.GetValue("embeddings_sparse_pca", i)!).ToArray();
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected[i][0], got[i][0], 5);
            Assert.Equal(expected[i][1], got[i][1], 5);
        }
        // The points lie along x mostly: the first coordinate spans them, mean 3 → -3 … 3 roughly.
        Assert.True(got[0][0] < -2.5 && got[3][0] > 2.5);
    }

    private async Task<Table> WriteAsync(string name, float[][] rows, CancellationToken ct)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["example_id"] = new Int64Schema(), [$"embeddings_{name}"] = new EmbeddingSchema(rows[0].Length) },
            Project = "p",
            Dataset = "metrics",
            Table = name,
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
            ChunkRows = 128,
        }, ct);
        for (var i = 0; i < rows.Length; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["example_id"] = (long)i, [$"embeddings_{name}"] = rows[i] });
        }
        return await writer.FinalizeAsync(ct);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double[] Normalise(double[] v)
    {
        var norm = Math.Sqrt(v.Sum(e => e * e));
        return v.Select(e => e / norm).ToArray();
    }

    private static double Dot(IReadOnlyList<double> a, IReadOnlyList<double> b) => a.Select((e, i) => e * b[i]).Sum();
}
