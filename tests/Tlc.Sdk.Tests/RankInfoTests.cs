namespace Tlc.Sdk.Tests;

public sealed class RankInfoTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void FromEnvironment_TorchLauncherVariables_RankWorldLocalAndLaunch()
    {
        var info = RankInfo.FromEnvironment(Env(("RANK", "2"), ("WORLD_SIZE", "3"), ("LOCAL_RANK", "0"), ("MASTER_ADDR", "10.0.0.1"), ("MASTER_PORT", "29500")));

        Assert.Equal((2, 3, 0, "10.0.0.1:29500"), (info.Rank, info.WorldSize, info.LocalRank, info.LaunchId));
        Assert.NotEqual(info.Attempt, RankInfo.FromEnvironment(Env(("RANK", "2"), ("WORLD_SIZE", "3"))).Attempt);
    }

    [Fact]
    public void FromEnvironment_LaunchIdAndAttemptGiven_TlcVariablesFirst()
    {
        var info = RankInfo.FromEnvironment(Env(("RANK", "1"), ("WORLD_SIZE", "2"), ("TLC_LAUNCH_ID", "nightly"), ("TORCHELASTIC_RUN_ID", "elastic"), ("TLC_RANK_ATTEMPT", "7")));

        Assert.Equal(("nightly", "7", 1), (info.LaunchId, info.Attempt, info.LocalRank));
    }

    [Fact]
    public void FromEnvironment_NothingSet_RankZeroOfOne()
    {
        var info = RankInfo.FromEnvironment(Env());

        Assert.Equal((0, 1, "single"), (info.Rank, info.WorldSize, info.LaunchId));
    }

    [Theory]
    [InlineData("3", "3", "RANK 3 is outside 0..2")]
    [InlineData("x", "3", "RANK='x' is not a non-negative integer")]
    [InlineData("1", null, "RANK is set but WORLD_SIZE is not")]
    [InlineData("0", "0", "WORLD_SIZE must be")]
    public void FromEnvironment_BadVariables_ClearError(string? rank, string? world, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => RankInfo.FromEnvironment(name => name switch { "RANK" => rank, "WORLD_SIZE" => world, _ => null }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
