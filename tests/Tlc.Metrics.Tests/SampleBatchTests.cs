using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class SampleBatchTests
{
    [Fact]
    public void Constructor_CountsDisagree_IsAnError()
    {
        using var input = zeros(3, 1, 28, 28);
        var e = Assert.Throws<ArgumentException>(() => new SampleBatch([0, 1], [], input));
        Assert.Contains("2 ids has 0 samples and an input of 3 rows", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PredictorOutput_Dispose_DisposesEveryTensor()
    {
        var forward = ones(2, 10);
        var hidden = ones(2, 5);
        new PredictorOutput(forward, new Dictionary<int, Tensor> { [3] = hidden }).Dispose();
        Assert.True(forward.IsInvalid);
        Assert.True(hidden.IsInvalid);
    }
}
