using Tlc.Schemas;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class ClassificationCollectorTests : IDisposable
{
    private static readonly float[][] Logits = [[2f, 1f, 0f], [0f, 0.5f, 3f], [1f, 1.5f, 1.2f]];
    private readonly TempRoot _root = new("classification");

    public void Dispose() => _root.Dispose();

    private static PredictorOutput Output(float[][] logits) => new(tensor(logits.SelectMany(r => r).ToArray(), [logits.Length, logits[0].Length]));

    private static double LogSumExp(float[] row) => Math.Log(row.Sum(v => Math.Exp(v)));

    [Fact]
    public async Task Collect_HandMadeLogits_GivesCrossEntropyArgMaxAccuracyAndMaxSoftmax()
    {
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["a", "b", "c"]), [0, 1, 2]);
        var collector = new ClassificationCollector(["a", "b", "c"]);
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        var columns = collector.Collect(batch, output);

        var loss = (float[])columns["loss"];
        var confidence = (float[])columns["confidence"];
        int[] targets = [0, 1, 2];
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(LogSumExp(Logits[i]) - Logits[i][targets[i]], loss[i], 1e-6);
            Assert.Equal(Math.Exp(Logits[i].Max() - LogSumExp(Logits[i])), confidence[i], 1e-6);
        }
        Assert.Equal([0, 2, 1], (int[])columns["predicted"]);
        Assert.Equal([1f, 0f, 0f], (float[])columns["accuracy"]);
        Assert.Equal(["loss", "predicted", "accuracy", "confidence"], columns.Keys);
    }

    [Fact]
    public void Columns_WithLabelColumn_AreThoseOf3lcWithTheirSchemas()
    {
        var collector = new ClassificationCollector(["a", "b", "c"]);
        var columns = collector.Columns(new TableSchema { ["image"] = new ImageSchema(), ["label"] = new CategoricalLabelSchema(["a", "b", "c"]) });

        Assert.Equal(["loss", "predicted", "accuracy", "confidence"], columns.Keys);
        Assert.IsType<Float32Schema>(columns["loss"]);
        Assert.Equal(["a", "b", "c"], Assert.IsType<CategoricalLabelSchema>(columns["predicted"]).Classes);
        Assert.IsType<Float32Schema>(columns["accuracy"]);
        Assert.IsType<ConfidenceSchema>(columns["confidence"]);
        Assert.Empty(collector.Layers);
    }

    [Fact]
    public async Task Collect_TableClassesInAnotherOrder_MatchesLabelsByName()
    {
        // The table's value 0 is "c", 2 is "a" (e.g. class folders sorted alphabetically); the model's logit 0 is "a".
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["c", "b", "a"]), [2, 1, 0]);
        var collector = new ClassificationCollector(["a", "b", "c"]);
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        var columns = collector.Collect(batch, output);

        Assert.Equal([1f, 0f, 0f], (float[])columns["accuracy"]);
        Assert.Equal(LogSumExp(Logits[2]) - Logits[2][2], ((float[])columns["loss"])[2], 1e-6);
    }

    [Fact]
    public async Task Collect_ValueMapWithGaps_PredictsTheMapsValues()
    {
        var classes = ValueMap.FromNames([new(10, "x"), new(20, "y")]);
        using var table = await TestTables.LabelsAsync(_root, classes, [20, 10]);
        var collector = new ClassificationCollector(classes);
        using var batch = TestTables.Batch(table, zeros(2, 1));
        using var output = Output([[0f, 1f], [0f, 1f]]);

        var columns = collector.Collect(batch, output);

        Assert.Equal([20, 20], (int[])columns["predicted"]);
        Assert.Equal([1f, 0f], (float[])columns["accuracy"]);
    }

    [Fact]
    public async Task Collect_NoClassesGiven_TakesTheLabelColumns()
    {
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["a", "b", "c"]), [0, 1, 2]);
        var collector = new ClassificationCollector();
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        Assert.Equal(["a", "b", "c"], Assert.IsType<CategoricalLabelSchema>(collector.Columns(table.Schema)["predicted"]).Classes);
        Assert.Equal([1f, 0f, 0f], (float[])collector.Collect(batch, output)["accuracy"]);
    }

    [Fact]
    public async Task Collect_NoLabelColumn_GivesOnlyPredictedAndConfidence()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 3, withLabel: false);
        var collector = new ClassificationCollector(["a", "b", "c"]);
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        Assert.Equal(["predicted", "confidence"], collector.Columns(table.Schema).Keys);
        Assert.Equal(["predicted", "confidence"], collector.Collect(batch, output).Keys);
    }

    [Fact]
    public async Task Collect_MoreLogitsThanClasses_IsAnError()
    {
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["a", "b"]), [0, 1, 1]);
        var collector = new ClassificationCollector(["a", "b"]);
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        var e = Assert.Throws<InvalidOperationException>(() => collector.Collect(batch, output));
        Assert.Contains("The model gives 3 logits but the collector has 2 classes", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collect_LabelNotAClassOfTheCollector_NamesTheRow()
    {
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["a", "b", "zebra"]), [0, 1, 2]);
        var collector = new ClassificationCollector(["a", "b", "c"]);
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        var e = Assert.Throws<InvalidOperationException>(() => collector.Collect(batch, output));
        Assert.Contains("Row 2: label 'zebra' of 'label' is not a class of the collector", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Collect_CustomLoss_IsUsedPerSample()
    {
        using var table = await TestTables.LabelsAsync(_root, ValueMap.FromClasses(["a", "b", "c"]), [0, 1, 2]);
        var collector = new ClassificationCollector(["a", "b", "c"], loss: (logits, targets) => logits.gather(1, targets.unsqueeze(1)).squeeze(1));
        using var batch = TestTables.Batch(table, zeros(3, 1));
        using var output = Output(Logits);

        Assert.Equal([2f, 0.5f, 1.2f], (float[])collector.Collect(batch, output)["loss"]);
    }
}
