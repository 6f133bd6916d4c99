using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
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
    public TempRoot Root { get; } = new("cluster");

    public string Container { get; } = Azurite.NewContainerName("grains");

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        var builder = new TestClusterBuilder(3);
        builder.Options.ClusterId = $"test-{Guid.NewGuid():N}"[..20];
        builder.Options.ServiceId = builder.Options.ClusterId;
        builder.Properties["TlcRoot"] = Root.Path;
        builder.Properties["TlcAzure"] = Azurite.ConnectionString;
        builder.Properties["TlcContainer"] = Container;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>A client context as a process named <paramref name="who"/> would have.</summary>
    public ClusterContext Context(string who = "tests") =>
        new(Client, new Tlc.Tables.Urls.UrlAdapterRegistry(), Root.Url, new Tlc.Cluster.WorkerRef(who, Guid.NewGuid().ToString("N")[..8]), TimeProvider.System);

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Azurite.DeleteContainerAsync(Container);
        Root.Dispose();
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
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) =>
            clientBuilder.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(15));
    }
}
