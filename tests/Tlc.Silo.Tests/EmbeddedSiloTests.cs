using Microsoft.Extensions.DependencyInjection;
using Orleans.GrainDirectory;
using Tlc.Cluster;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using Tlc.Testing;

namespace Tlc.Silo.Tests;

public sealed class EmbeddedSiloTests : IDisposable
{
    private readonly TempRoot _root = new("embedded");

    public void Dispose() => _root.Dispose();

    private TlcOptions Settings => new() { Root = _root.Path };

    [Fact(Timeout = 120_000)]
    public async Task GrainState_SurvivesSiloRestart_OnLocalDisk()
    {
        await using (var first = await ClusterConnection.ConnectAsync(Settings))
        {
            Assert.True(first.HostsSilo);
            await using var run = await Runs.InitAsync(first.Context, "p", "durable", new Dictionary<string, object?> { ["lr"] = 0.1 });
            await run.LogAsync(new Dictionary<string, object?> { ["epoch"] = 1, ["acc"] = 0.5 });
            await run.CompleteAsync();
        }
        Assert.True(new FileInfo(Path.Combine(EmbeddedSilo.StateFolder(_root.Url), "tlc.state.log")).Length > 0);

        await using var second = await ClusterConnection.ConnectAsync(Settings);
        var info = await second.Context.RunGrain("p", "durable").GetAsync();
        Assert.True(info.Exists);
        Assert.Equal(RunStatus.Completed, info.Status);
        Assert.Equal(0.5, info.LatestAggregates["acc"]);
        Assert.Equal("""{"lr":0.1}""", info.ParametersJson);
    }

    [Theory(Timeout = 120_000)]
    [InlineData("standard", null)]
    [InlineData("distributed", "DistributedGrainDirectory")]
    public async Task GrainDirectory_Setting_ChoosesTheDefaultDirectory_GrainsWork(string setting, string? directoryType)
    {
        var settings = Settings;
        settings.Cluster.GrainDirectory = setting;
        await using var silo = await EmbeddedSilo.TryStartAsync(settings);
        Assert.NotNull(silo);
        var directory = silo.Host.Services.GetKeyedService<IGrainDirectory>(GrainDirectoryAttribute.DEFAULT_GRAIN_DIRECTORY);
        Assert.Equal(directoryType, directory?.GetType().Name);

        var run = silo.Client.GetGrain<IRunGrain>("p/directory");
        await run.InitAsync(new RunInit("p", "directory", _root.Url.Join("projects/p/runs/directory").Value, null, "{}", new WorkerRef("tests", "1"), Reuse: false));
        Assert.True((await run.GetAsync()).Exists);
    }

    [Fact]
    public void GrainDirectory_UnknownValue_IsAnErrorNamingTheSetting()
    {
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load(new Dictionary<string, string?> { ["cluster:grain_directory"] = "strong" }));
        Assert.Contains("cluster.grain_directory", e.Message);
        Assert.Contains("'strong'", e.Message);
    }

    [Fact(Timeout = 120_000)]
    public async Task SecondConnection_SameRoot_ConnectsToTheRunningSilo()
    {
        await using var host = await ClusterConnection.ConnectAsync(Settings);
        Assert.True(host.HostsSilo);
        Assert.NotNull(EmbeddedSilo.FindRunning(_root.Url));
        await using var guest = await ClusterConnection.ConnectAsync(Settings);
        Assert.False(guest.HostsSilo);

        await using var run = await Runs.InitAsync(guest.Context, "p", "shared");
        await run.LogAsync(new Dictionary<string, object?> { ["loss"] = 2.0 });
        Assert.Equal(2.0, (await host.Context.RunGrain("p", "shared").GetAsync()).LatestAggregates["loss"]);
        Assert.Null(await EmbeddedSilo.TryStartAsync(Settings));
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloProcess_HoldsTheRoot_TlcSiloRefusesASecond()
    {
        await using var host = await ClusterConnection.ConnectAsync(Settings);
        var output = new StringWriter();
        var code = await SiloRunner.RunAsync(Settings, output, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("two silos never share a root", output.ToString(), StringComparison.Ordinal);
    }
}
