using System.Collections;
using Tlc.Schemas;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class EmbeddingsCollectorTests : IDisposable
{
    private readonly TempRoot _root = new("embeddings");

    public void Dispose() => _root.Dispose();

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [Fact]
    public void Apply_Mean_AveragesTheDimensionsBetweenBatchAndFeatures()
    {
        using var x = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 4); // [B, T, D]
        using var mean = EmbeddingsCollector.Apply(x, EmbeddingReshape.Mean);

        Assert.Equal([2L, 4], mean.shape);
        Assert.Equal([4f, 5f, 6f, 7f, 16f, 17f, 18f, 19f], Values(mean));
    }

    [Fact]
    public void Apply_Flatten_KeepsEveryValueInOrder()
    {
        using var x = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 2, 2);
        using var flat = EmbeddingsCollector.Apply(x, EmbeddingReshape.Flatten);

        Assert.Equal([2L, 12], flat.shape);
        Assert.Equal(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), Values(flat));
    }

    [Fact]
    public void Apply_AvgPool_AveragesEachChannelsSpatialValues()
    {
        using var x = arange(24, dtype: ScalarType.Float32).reshape(2, 3, 2, 2); // [B, C, H, W]
        using var pooled = EmbeddingsCollector.Apply(x, EmbeddingReshape.AvgPool);

        Assert.Equal([2L, 3], pooled.shape);
        Assert.Equal([1.5f, 5.5f, 9.5f, 13.5f, 17.5f, 21.5f], Values(pooled));
    }

    [Theory]
    [InlineData(EmbeddingReshape.Mean)]
    [InlineData(EmbeddingReshape.Flatten)]
    [InlineData(EmbeddingReshape.AvgPool)]
    public void Apply_TwoDimensionalActivation_IsKept(EmbeddingReshape reshape)
    {
        using var x = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var y = EmbeddingsCollector.Apply(x, reshape);
        Assert.Equal([2L, 3], y.shape);
        Assert.Equal(Values(x), Values(y));
    }

    [Fact]
    public async Task Collect_PerLayerReshape_GivesOneColumnPerLayerFromTheCapturedActivations()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 2);
        var collector = new EmbeddingsCollector([4, 9], new Dictionary<int, EmbeddingReshape> { [4] = EmbeddingReshape.AvgPool }, new Dictionary<int, int> { [9] = 3 });
        using var batch = TestTables.Batch(table, zeros(2, 1));
        using var output = new PredictorOutput(zeros(2, 10), new Dictionary<int, Tensor>
        {
            [4] = arange(16, dtype: ScalarType.Float32).reshape(2, 2, 2, 2),
            [9] = tensor(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [2, 3]),
        });

        var schema = collector.Columns(table.Schema);
        var columns = collector.Collect(batch, output);

        Assert.Equal(["embeddings_4", "embeddings_9"], schema.Keys);
        Assert.Null(Assert.IsType<EmbeddingSchema>(schema["embeddings_4"]).Dimensions);
        Assert.Equal(3, Assert.IsType<EmbeddingSchema>(schema["embeddings_9"]).Dimensions);
        Assert.Equal([[1.5f, 5.5f], [9.5f, 13.5f]], (float[][])columns["embeddings_4"]);
        Assert.Equal([[1f, 2f, 3f], [4f, 5f, 6f]], (float[][])columns["embeddings_9"]);
        Assert.Equal([4, 9], collector.Layers);
    }

    [Fact]
    public async Task Collect_DeclaredDimensionDiffers_IsAnError()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 2);
        var collector = new EmbeddingsCollector([9], EmbeddingReshape.Mean, new Dictionary<int, int> { [9] = 4 });
        using var batch = TestTables.Batch(table, zeros(2, 1));
        using var output = new PredictorOutput(zeros(2, 10), new Dictionary<int, Tensor> { [9] = zeros(2, 3) });

        var e = Assert.Throws<InvalidOperationException>(() => collector.Collect(batch, output));
        Assert.Contains("Layer 9 gives embeddings of 3 values (mean), not the declared 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collect_LayerNotCaptured_SaysWhichAreCaptured()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 2);
        var collector = new EmbeddingsCollector([9]);
        using var batch = TestTables.Batch(table, zeros(2, 1));
        using var output = new PredictorOutput(zeros(2, 10), new Dictionary<int, Tensor> { [4] = zeros(2, 3) });

        var e = Assert.Throws<InvalidOperationException>(() => collector.Collect(batch, output));
        Assert.Contains("Layer 9 was not captured (captured: 4)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ReshapeForAnotherLayer_IsAnError()
    {
        Assert.Throws<ArgumentException>(() => new EmbeddingsCollector([9], new Dictionary<int, EmbeddingReshape> { [5] = EmbeddingReshape.Flatten }));
        Assert.Throws<ArgumentException>(() => new EmbeddingsCollector([]));
    }

    [Fact]
    public async Task FunctionalCollector_KeysDifferFromItsSchema_IsAnError()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 2);
        var collector = new FunctionalCollector(
            (b, _) => new Dictionary<string, IList> { ["a"] = new float[b.Count], ["b"] = new float[b.Count] },
            new Dictionary<string, ColumnSchema> { ["a"] = new Float32Schema(), ["c"] = new Float32Schema() });
        using var batch = TestTables.Batch(table, zeros(2, 1));
        using var output = new PredictorOutput(zeros(2, 10));

        var e = Assert.Throws<InvalidOperationException>(() => collector.Collect(batch, output));
        Assert.Contains("missing: c; not in the schema: b", e.Message, StringComparison.Ordinal);
    }
}
