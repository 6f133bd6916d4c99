using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class ConfigurationTests : IDisposable
{
    private readonly TempRoot _dir = new("config");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_YamlFile_BindsEveryOption()
    {
        var file = _dir.File("config.yaml");
        File.WriteAllText(file, """
            root: /data/tlc
            aliases:
              DATA: /mnt/datasets
            azure:
              connection_string: UseDevelopmentStorage=true
            tables:
              batch_rows: 1000
              chunk_rows: 4000
              compression: zstd
            """);
        var options = TlcConfiguration.Load(configFile: file);

        Assert.Equal("/data/tlc", options.Root);
        Assert.Equal("file:///data/tlc", options.RootUrl.Value);
        Assert.Equal("/mnt/datasets", options.Aliases["DATA"]);
        Assert.Equal("UseDevelopmentStorage=true", options.Azure.ConnectionString);
        Assert.Equal(1000, options.Tables.BatchRows);
        Assert.Equal(4000, options.Tables.ChunkRows);
        Assert.Equal("zstd", options.Tables.Compression);
    }

    [Fact]
    public void Load_HealthAndKubernetes_BoundFromTheFile_OffByDefault()
    {
        var defaults = new TlcOptions();
        Assert.False(defaults.Health.Enabled);
        Assert.Equal("0.0.0.0", defaults.Health.Host);
        Assert.False(defaults.Cluster.Kubernetes);
        var file = _dir.File("deploy.yaml");
        File.WriteAllText(file, """
            azure:
              connection_string: UseDevelopmentStorage=true
            cluster:
              mode: azure
              kubernetes: true
            health:
              port: 8081
              host: 127.0.0.1
            """);
        var options = TlcConfiguration.Load(configFile: file);
        Assert.True(options.Cluster.Kubernetes);
        Assert.Equal((8081, "127.0.0.1", true), (options.Health.Port, options.Health.Host, options.Health.Enabled));
    }

    [Fact]
    public void Load_JsonFileAndOverride_OverrideWins()
    {
        var file = _dir.File("config.json");
        File.WriteAllText(file, """{"root": "/from/file", "tables": {"compression": "lz4"}}""");
        var options = TlcConfiguration.Load([new("root", "/from/command/line")], file);
        Assert.Equal("/from/command/line", options.Root);
        Assert.Equal("lz4", options.Tables.Compression);
    }

    [Theory]
    [InlineData("tables:\n  compression: gzip\n", "tables.compression")]
    [InlineData("tables:\n  batch_rows: 0\n", "tables.batch_rows")]
    [InlineData("tables:\n  batch_rows: 100\n  chunk_rows: 10\n", "tables.chunk_rows")]
    [InlineData("cluster:\n  mode: memcached\n", "cluster.mode")]
    [InlineData("cluster:\n  mode: redis\n", "cluster.redis_connection_string")]
    [InlineData("health:\n  port: 70000\n", "health.port")]
    [InlineData("health:\n  port: 8081\n  host: localhost\n", "health.host")]
    [InlineData("cluster:\n  kubernetes: true\n", "cluster.kubernetes")]
    public void Load_InvalidValue_NamesTheKey(string yaml, string key)
    {
        var file = _dir.File($"bad-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, yaml);
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load(configFile: file));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_RedisMode_BindsTheConnectionStringAndIsShared()
    {
        var file = _dir.File("redis.yaml");
        File.WriteAllText(file, """
            cluster:
              mode: redis
              redis_connection_string: "10.0.0.5:6379,password=secret"
            """);
        var options = TlcConfiguration.Load(configFile: file);

        Assert.True(options.Cluster.IsRedis);
        Assert.True(options.Cluster.IsShared);
        Assert.False(options.Cluster.IsAzure);
        Assert.Equal("10.0.0.5:6379,password=secret", options.Cluster.RedisConnectionString);
        Assert.False(new TlcOptions().Cluster.IsShared);
    }

    [Fact]
    public void Load_MissingExplicitFile_NamesIt()
    {
        var missing = Path.Combine(_dir.Path, "missing.yaml");
        var e = Assert.Throws<FileNotFoundException>(() => TlcConfiguration.Load(configFile: missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_CodeThenEnvironmentThenConfig()
    {
        var environment = new Dictionary<string, string> { ["TLC_ALIAS_DATA"] = "/from/env", ["TLC_ALIAS_ONLYENV"] = "/env-only" };
        var aliases = new UrlAliases(new Dictionary<string, string> { ["DATA"] = "/from/config", ["CFG"] = "/cfg" }, k => environment.GetValueOrDefault(k));

        Assert.Equal("/from/env/x.png", aliases.Expand("<DATA>/x.png"));
        Assert.Equal("/cfg/a", aliases.Expand("<CFG>/a"));
        Assert.Equal("/env-only", aliases.Expand("<ONLYENV>"));
        aliases.Register("DATA", "/from/code");
        Assert.Equal("/from/code/x.png", aliases.Expand("<DATA>/x.png"));
        var e = Assert.Throws<ArgumentException>(() => aliases.Expand("<NOPE>/x"));
        Assert.Contains("TLC_ALIAS_NOPE", e.Message, StringComparison.Ordinal);
    }
}
