using Tlc.Tables.Sampling;

namespace Tlc.Tables.Tests;

public sealed class SamplerTests
{
    [Fact]
    public void Weighted_DrawsProportionallyToWeight_AndNeverZero()
    {
        float[] weights = [0, 1, 3, 0, 6];
        var counts = new int[5];
        foreach (var row in Samplers.Weighted(weights, seed: 1, samples: 100_000))
        {
            counts[row]++;
        }
        Assert.Equal(0, counts[0]);
        Assert.Equal(0, counts[3]);
        Assert.InRange(counts[1] / 100_000.0, 0.09, 0.11);
        Assert.InRange(counts[2] / 100_000.0, 0.28, 0.32);
        Assert.InRange(counts[4] / 100_000.0, 0.58, 0.62);
    }

    [Fact]
    public void Weighted_SameSeed_SameDraws()
    {
        float[] weights = [1, 2, 3, 4];
        Assert.Equal(Samplers.Weighted(weights, 5), Samplers.Weighted(weights, 5));
        Assert.NotEqual(Samplers.Weighted(weights, 5, 50), Samplers.Weighted(weights, 6, 50));
    }

    [Fact]
    public void RepeatByWeight_EpochLengthIsSumOfWeights()
    {
        float[] weights = [2, 0, 1, 3];
        var epoch = Samplers.RepeatByWeight(weights, 3).ToList();
        Assert.Equal(6, epoch.Count);
        Assert.Equal(2, epoch.Count(r => r == 0));
        Assert.Equal(0, epoch.Count(r => r == 1));
        Assert.Equal(3, epoch.Count(r => r == 3));
    }

    [Fact]
    public void ExcludeZeroWeights_SequentialOrShuffled()
    {
        float[] weights = [1, 0, 1, 0.5f, 0];
        Assert.Equal([0L, 2, 3], Samplers.ExcludeZeroWeights(weights));
        Assert.Equal([0L, 2, 3], Samplers.ExcludeZeroWeights(weights, seed: 4).Order());
        Assert.Equal([0L, 1, 2], Samplers.Sequential(3));
    }

    [Fact]
    public void Weighted_NegativeWeight_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => Samplers.Weighted([1, -1], 0));
        Assert.Contains("row 1", e.Message, StringComparison.Ordinal);
    }
}
