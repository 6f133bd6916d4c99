using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.TestingHost;
using Tlc.Grains;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using Tlc.Testing;
using Xunit;

namespace Tlc.Testing.Cluster;

/// <summary>
/// A real three-silo Orleans test cluster with Tlc's grains and a data root on local disk. Its durable state is kept by a
/// <see cref="ClusterStore"/> (one per fixture, so state survives killed silos): grain state in Azure Blob storage on
/// Azurite (this class's default), or membership, grain state and reminders on a redis-server (<see cref="RedisClusterFixture"/>).
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    /// <summary>A fixture with a fresh root and Azurite state container.</summary>
    public ClusterFixture()
        : this(ClusterProvider.Azure)
    {
    }

    /// <summary>A fixture with a fresh root and a fresh store of <paramref name="provider"/>.</summary>
    protected ClusterFixture(ClusterProvider provider)
        : this(new TempRoot("cluster"), null, $"test-{Guid.NewGuid():N}"[..20], ownsStorage: true)
    {
        _provider = provider;
    }

    /// <summary>A fixture over an existing root and store: a restart of a cluster whose state lives there.</summary>
    public static ClusterFixture Over(TempRoot root, ClusterStore store, string clusterId, short silos = 3, TimeSpan? responseTimeout = null) =>
        new(root, store, clusterId, ownsStorage: false) { Silos = silos, ResponseTimeout = responseTimeout ?? TimeSpan.FromSeconds(15) };

    private ClusterFixture(TempRoot root, ClusterStore? store, string clusterId, bool ownsStorage)
    {
        Root = root;
        _store = store;
        ClusterId = clusterId;
        _ownsStorage = ownsStorage;
    }

    private readonly bool _ownsStorage;
    private readonly ClusterProvider _provider;
    private ClusterStore? _store;

    /// <summary>Silos to start.</summary>
    public short Silos { get; init; } = 3;

    /// <summary>How long the client waits for a grain call (low in fault tests).</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TempRoot Root { get; }

    /// <summary>Where the cluster keeps its durable state.</summary>
    public ClusterStore Store => _store ?? throw new InvalidOperationException("The fixture is not initialised.");

    public string ClusterId { get; }

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        _store ??= await ClusterStore.CreateAsync(_provider);
        var builder = new TestClusterBuilder(Silos);
        builder.Options.ClusterId = ClusterId;
        builder.Options.ServiceId = ClusterId;
        builder.Properties["TlcResponseTimeout"] = ResponseTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["TlcRoot"] = Root.Path;
        _store.Configure(builder);
        builder.Properties["TlcClusterId"] = ClusterId;
        // TestClusterBuilder makes Orleans' experimental distributed directory the default; production silos use the
        // standard one (see TlcSiloBuilderExtensions.AddTlcGrainServices), so the tests do too.
        builder.Options.SiloBuilderConfiguratorTypes.RemoveAll(t => t?.Contains("ConfigureDistributedGrainDirectory", StringComparison.Ordinal) == true);
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
        // DeployAsync can return before every silo sees the others (and the directory is partitioned among them).
        await Cluster.WaitForLivenessToStabilizeAsync();
    }

    /// <summary>A client context as a process named <paramref name="who"/> would have.</summary>
    public ClusterContext Context(string who = "tests") =>
        new(Client, new Tlc.Tables.Urls.UrlAdapterRegistry(), Root.Url, new Tlc.Cluster.WorkerRef(who, Guid.NewGuid().ToString("N")[..8]), TimeProvider.System);

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        if (_ownsStorage)
        {
            if (_store is not null)
            {
                await _store.DisposeAsync();
            }
            Root.Dispose();
        }
        GC.SuppressFinalize(this);
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = siloBuilder.Configuration;
            ClusterStore.ConfigureSilo(siloBuilder, configuration);
            siloBuilder.AddTlcGrainServices(new TlcOptions { Root = configuration["TlcRoot"] });
            if (Environment.GetEnvironmentVariable("TLC_TEST_CLUSTER_LOGS") is { Length: > 0 } logs)
            {
                Directory.CreateDirectory(logs);
                var file = Path.Combine(logs, $"{configuration["TlcClusterId"]}-{configuration["SiloName"] ?? Guid.NewGuid().ToString("N")[..8]}.log");
                siloBuilder.Services.AddLogging(l => l.AddProvider(new FileLoggerProvider(file, LogLevel.Information)));
            }
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            ClusterStore.ConfigureClient(configuration, clientBuilder);
            clientBuilder.Configure<ClientMessagingOptions>(o =>
                o.ResponseTimeout = TimeSpan.FromSeconds(double.Parse(configuration["TlcResponseTimeout"] ?? "15", System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}

/// <summary>The three-silo test cluster over a redis-server of its own: Redis membership, grain state and reminders.</summary>
public sealed class RedisClusterFixture : ClusterFixture
{
    /// <summary>A fixture with a fresh root and redis-server.</summary>
    public RedisClusterFixture()
        : base(ClusterProvider.Redis)
    {
    }
}
