using Tlc.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class ClassifierTrainerTests : IDisposable
{
    private readonly TempRoot _root = new("trainer");

    public void Dispose() => _root.Dispose();

    private static float[] Parameters(FashionMnistCnn model) => [.. model.parameters().SelectMany(p => p.data<float>().ToArray())];

    [Fact(Timeout = 120_000)]
    public async Task Train_TableWithRepeatByWeight_ReportsEachEpochAndIsSeeded()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 200);
        using var weighted = await table.Edit().SetWeights(Enumerable.Range(0, 100).Select(i => (long)i), 0f).SetWeights(Enumerable.Range(100, 50).Select(i => (long)i), 2f).CommitAsync(TestContext.Current.CancellationToken);
        var options = new ClassifierTrainerOptions { Epochs = 2, BatchSize = 32, Seed = 5, Sampling = SamplingMode.RepeatByWeight, Optimizer = OptimizerKind.Sgd, LearningRate = 0.05 };

        IReadOnlyList<float> Train(List<EpochResult> reports)
        {
            torch.manual_seed(5);
            using var model = new FashionMnistCnn();
            ClassifierTrainer.Train(model, weighted, FashionMnist.Preprocess, options, reports.Add, TestContext.Current.CancellationToken);
            Assert.False(model.training);
            return Parameters(model);
        }

        var firstReports = new List<EpochResult>();
        var first = Train(firstReports);
        var second = Train([]);

        Assert.Equal([1, 2], firstReports.Select(r => r.Epoch));
        // Rows 0-99 weigh 0, 100-149 weigh 2, 150-199 weigh 1: 150 samples an epoch.
        Assert.All(firstReports, r => Assert.Equal(150, r.Samples));
        Assert.All(firstReports, r => Assert.True(double.IsFinite(r.Loss) && r.Loss > 0));
        Assert.Equal(first, second);
    }

    [Fact(Timeout = 120_000)]
    public void Train_Tensors_LowersTheLoss()
    {
        var (images, labels) = FashionMnist.ReadIdx(Fixtures.FashionMnistIdx, "t10k");
        using var x = images.narrow(0, 0, 2000);
        using var y = labels.narrow(0, 0, 2000);
        images.Dispose();
        labels.Dispose();
        torch.manual_seed(1);
        using var model = new FashionMnistCnn();

        var epochs = ClassifierTrainer.Train(model, x, y, new ClassifierTrainerOptions { Epochs = 2, BatchSize = 50, Seed = 1 });

        Assert.Equal(2, epochs.Count);
        Assert.True(epochs[1].Loss < epochs[0].Loss, $"loss {epochs[0].Loss} then {epochs[1].Loss}");
        Assert.True(epochs[1].Accuracy > 0.5, $"accuracy {epochs[1].Accuracy}");
    }

    [Fact]
    public void Train_TensorsWithWeightedSampling_IsRefused()
    {
        using var model = new FashionMnistCnn();
        using var x = zeros(4, 1, 28, 28);
        using var y = zeros(4, dtype: ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() => ClassifierTrainer.Train(model, x, y, new ClassifierTrainerOptions { Sampling = SamplingMode.Weighted }));
        Assert.Contains("Weighted sampling needs a table with a weight column", e.Message, StringComparison.Ordinal);
    }
}
