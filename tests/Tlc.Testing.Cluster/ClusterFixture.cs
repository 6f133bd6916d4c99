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
/// A real three-silo Orleans test cluster with Tlc's grains, grain state in Azure Blob Storage on Azurite (one container
/// per fixture, so state survives killed silos), and a data root on local disk.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    /// <summary>A fixture with a fresh root and state container.</summary>
    public ClusterFixture()
        : this(new TempRoot("cluster"), Azurite.NewContainerName("grains"), $"test-{Guid.NewGuid():N}"[..20], ownsStorage: true)
    {
    }

    /// <summary>A fixture over an existing root and state container: a restart of a cluster whose state lives there.</summary>
    public static ClusterFixture Over(TempRoot root, string container, string clusterId, short silos = 3, TimeSpan? responseTimeout = null) =>
        new(root, container, clusterId, ownsStorage: false) { Silos = silos, ResponseTimeout = responseTimeout ?? TimeSpan.FromSeconds(15) };

    private ClusterFixture(TempRoot root, string container, string clusterId, bool ownsStorage)
    {
        Root = root;
        Container = container;
        ClusterId = clusterId;
        _ownsStorage = ownsStorage;
    }

    private readonly bool _ownsStorage;

    /// <summary>Silos to start.</summary>
    public short Silos { get; init; } = 3;

    /// <summary>How long the client waits for a grain call (low in fault tests).</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public TempRoot Root { get; }

    public string Container { get; }

    public string ClusterId { get; }

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(Silos);
        builder.Options.ClusterId = ClusterId;
        builder.Options.ServiceId = ClusterId;
        builder.Properties["TlcResponseTimeout"] = ResponseTimeout.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        builder.Properties["TlcRoot"] = Root.Path;
        builder.Properties["TlcAzure"] = Azurite.ConnectionString;
        builder.Properties["TlcContainer"] = Container;
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
            await Azurite.DeleteContainerAsync(Container);
            Root.Dispose();
        }
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = siloBuilder.Configuration;
            siloBuilder.AddAzureBlobGrainStorage(TlcGrainNames.Storage, o =>
            {
                o.BlobServiceClient = new Azure.Storage.Blobs.BlobServiceClient(configuration["TlcAzure"]);
                o.ContainerName = configuration["TlcContainer"]!;
            });
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
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<ClientMessagingOptions>(o =>
                o.ResponseTimeout = TimeSpan.FromSeconds(double.Parse(configuration["TlcResponseTimeout"] ?? "15", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
