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

    [Theory]
    [InlineData(10, 3)]
    [InlineData(9, 3)]
    [InlineData(2, 3)]
    [InlineData(1, 1)]
    public void ExactEvaluation_AnyCount_EveryRowInExactlyOneRank_NoPadding(int rows, int world)
    {
        var shares = Enumerable.Range(0, world).Select(r => Samplers.ExactEvaluation(rows, r, world).ToArray()).ToArray();

        Assert.Equal(Enumerable.Range(0, rows).Select(i => (long)i), shares.SelectMany(s => s).Order());
        Assert.True(shares.Max(s => s.Length) - shares.Min(s => s.Length) <= 1);
        Assert.All(shares.Select((s, r) => (s, r)), p => Assert.All(p.s, row => Assert.Equal(p.r, row % world)));
    }

    [Fact]
    public void ForRank_Repeat_EqualLengthsLikeDistributedSampler_Drop_DropsTheTail()
    {
        var epoch = Samplers.Sequential(10);

        // PyTorch: indices += indices[:2]; rank r takes indices[r:12:3].
        Assert.Equal([0L, 3, 6, 9], Samplers.ForRank(epoch, 0, 3, RankPadding.Repeat));
        Assert.Equal([1L, 4, 7, 0], Samplers.ForRank(epoch, 1, 3, RankPadding.Repeat));
        Assert.Equal([2L, 5, 8, 1], Samplers.ForRank(epoch, 2, 3, RankPadding.Repeat));
        Assert.Equal([2L, 5, 8], Samplers.ForRank(epoch, 2, 3, RankPadding.Drop));
        Assert.Equal(3, Samplers.ForRank(epoch, 0, 3, RankPadding.Drop).Count);
    }

    [Fact]
    public void ForRank_WeightedEpoch_SameSeedAndEpochOnEveryRank_SharesPartitionTheEpoch_NextEpochDiffers()
    {
        float[] weights = [0, 1, 3, 0, 6, 2, 2];
        ISampler Epoch(int epoch) => Samplers.RepeatByWeight(weights, Samplers.EpochSeed(42, epoch));

        var shares = Enumerable.Range(0, 3).Select(r => Samplers.ForRank(Epoch(5), r, 3).ToArray()).ToArray();

        Assert.Equal(Epoch(5).Order(), shares.SelectMany(s => s).Order());
        Assert.DoesNotContain(0L, shares.SelectMany(s => s));
        Assert.DoesNotContain(3L, shares.SelectMany(s => s));
        Assert.NotEqual(Epoch(5).ToArray(), Epoch(6).ToArray());
    }

    [Fact]
    public void ForRank_RankOutsideTheWorld_ClearError()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Samplers.ForRank(Samplers.Sequential(4), 3, 3));

        Assert.Contains("0..2", error.Message, StringComparison.Ordinal);
    }
}
