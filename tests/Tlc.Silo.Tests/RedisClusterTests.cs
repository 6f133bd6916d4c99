using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;
using Tlc.Cluster;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using Tlc.Testing;

namespace Tlc.Silo.Tests;

/// <summary>
/// cluster.mode redis on a real redis-server: a silo and a client find each other through the Redis membership hash, grain
/// state is written with Tlc's serializer under the service id, and it survives a kill -9 of the Redis server.
/// </summary>
public sealed class RedisClusterTests : IAsyncLifetime
{
    private readonly TempRoot _root = new("redis-silo");
    private RedisServer _redis = null!;

    public async ValueTask InitializeAsync() => _redis = await RedisServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        _root.Dispose();
    }

    /// <summary>A service's settings: its own root folder, the shared Redis server.</summary>
    private TlcOptions Settings(string serviceId) => new()
    {
        Root = Directory.CreateDirectory(Path.Combine(_root.Path, serviceId)).FullName,
        Cluster = new ClusterSettings
        {
            Mode = ClusterSettings.RedisMode, RedisConnectionString = _redis.ConnectionString, ClusterId = serviceId, ServiceId = serviceId,
            ResponseTimeoutSeconds = 10,
        },
    };

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<IHost> StartSiloAsync(TlcOptions settings)
    {
        var host = SiloHosts.Build(settings, new SiloEndpoints(FreePort(), FreePort()), null, contentRoot: null);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    private static async Task StopAsync(IHost host)
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await host.StopAsync(stop.Token);
        host.Dispose();
    }

    [Fact(Timeout = 30_000)]
    public async Task EnsureReachable_NoServerThere_NamesEndpointAndSettingNotPassword()
    {
        var port = FreePort();
        var e = await Assert.ThrowsAsync<RedisUnreachableException>(() =>
            RedisCluster.EnsureReachableAsync($"127.0.0.1:{port},password=hunter2", TestContext.Current.CancellationToken));
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.Contains(ClusterSettings.RedisConnectionStringSetting, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 30_000)]
    public async Task EnsureReachable_WrongPassword_SaysAuthenticationFailed()
    {
        Assert.Equal("+OK", await _redis.CommandAsync("CONFIG", "SET", "requirepass", "right"));
        try
        {
            var e = await Assert.ThrowsAsync<RedisUnreachableException>(() =>
                RedisCluster.EnsureReachableAsync($"{_redis.ConnectionString},password=wrong", TestContext.Current.CancellationToken));
            Assert.Contains("authentication", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("wrong", e.Message, StringComparison.Ordinal);
            await RedisCluster.EnsureReachableAsync($"{_redis.ConnectionString},password=right", TestContext.Current.CancellationToken);
        }
        finally
        {
            using var admin = await ConnectionMultiplexer.ConnectAsync($"{_redis.ConnectionString},password=right");
            await admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "requirepass", "");
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("127.0.0.1:6379,nonsense=1")]
    [InlineData("password=only")]
    public void Options_BadString_FormatExceptionNamesTheSetting(string text)
    {
        var e = Assert.Throws<FormatException>(() => RedisCluster.Options(text));
        Assert.Contains(ClusterSettings.RedisConnectionStringSetting, e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task ConnectAsync_RedisUnreachable_FailsAtOnceNamingTheEndpoint()
    {
        var settings = Settings("gone");
        settings.Cluster.RedisConnectionString = $"127.0.0.1:{FreePort()}";
        var e = await Assert.ThrowsAsync<RedisUnreachableException>(() => ClusterConnection.ConnectAsync(settings, TestContext.Current.CancellationToken));
        Assert.Contains(settings.Cluster.RedisConnectionString, e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task SiloAndClient_TwoServicesOneRedis_StateKeyedByServiceWithTlcSerializer_SurvivesRedisKill()
    {
        var ct = TestContext.Current.CancellationToken;
        var a = Settings($"svc-a-{Guid.NewGuid():N}"[..14]);
        var b = Settings($"svc-b-{Guid.NewGuid():N}"[..14]);
        var siloA = await StartSiloAsync(a);
        var siloB = await StartSiloAsync(b);
        try
        {
            await using (var clientA = await ClusterConnection.ConnectAsync(a, ct))
            await using (var clientB = await ClusterConnection.ConnectAsync(b, ct))
            {
                await using var runA = await Runs.InitAsync(clientA.Context, "p", "same-run", description: "of a");
                await runA.LogAsync(new Dictionary<string, object?> { ["loss"] = 1.0 });
                await using var runB = await Runs.InitAsync(clientB.Context, "p", "same-run", description: "of b");
                Assert.Equal("of a", (await clientA.Client.GetGrain<IRunGrain>("p/same-run").GetAsync()).Description);
                Assert.Equal("of b", (await clientB.Client.GetGrain<IRunGrain>("p/same-run").GetAsync()).Description);
                Assert.Equal(1, (await runA.GetInfoAsync()).LogEntries);
                Assert.Equal(0, (await runB.GetInfoAsync()).LogEntries);
            }

            // What lives where: membership and grain state under each service id, the state in Tlc's binary format.
            using (var redis = await ConnectionMultiplexer.ConnectAsync(_redis.ConnectionString))
            {
                var server = redis.GetServer(redis.GetEndPoints()[0]);
                var keys = server.Keys(pattern: "*").Select(k => (string)k!).ToList();
                Assert.Contains($"{a.Cluster.ServiceId}/members/{a.Cluster.ClusterId}", keys);
                Assert.Contains($"{b.Cluster.ServiceId}/members/{b.Cluster.ClusterId}", keys);
                var stateA = keys.Where(k => k.StartsWith($"{a.Cluster.ServiceId}/state/", StringComparison.Ordinal)).ToList();
                var stateB = keys.Where(k => k.StartsWith($"{b.Cluster.ServiceId}/state/", StringComparison.Ordinal)).ToList();
                Assert.NotEmpty(stateA);
                Assert.NotEmpty(stateB);
                Assert.Empty(stateA.Intersect(stateB));
                foreach (var key in stateA.Concat(stateB))
                {
                    byte[] data = (await redis.GetDatabase().HashGetAsync(key, "data"))!;
                    Assert.True(data.AsSpan().StartsWith("TLCB"u8), $"{key} is not in Tlc's grain state format");
                }
            }
        }
        finally
        {
            await StopAsync(siloA);
            await StopAsync(siloB);
        }

        // Everything stops; Redis is killed (after its once-a-second fsync of the append-only file) and restarted.
        await Task.Delay(TimeSpan.FromSeconds(1.5), ct);
        await _redis.RestartAsync(ct);
        var silo = await StartSiloAsync(a);
        try
        {
            await using var client = await ClusterConnection.ConnectAsync(a, ct);
            var info = await client.Client.GetGrain<IRunGrain>("p/same-run").GetAsync();
            Assert.Equal("of a", info.Description);
            Assert.Equal(1, info.LogEntries);
        }
        finally
        {
            await StopAsync(silo);
        }
    }
}
