using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using Tlc.Grains;
using Tlc.Silo.Hosting;
using Tlc.Testing;

namespace Tlc.Testing.Cluster;

/// <summary>The provider a test cluster keeps its durable state with.</summary>
public enum ClusterProvider
{
    /// <summary>Grain state in Azure Blob storage on Azurite (membership: Orleans' test cluster membership in the primary silo).</summary>
    Azure,

    /// <summary>Membership, grain state and reminders on a real redis-server, as <c>cluster.mode: redis</c> silos keep them.</summary>
    Redis,
}

/// <summary>
/// Where a test cluster keeps its durable state: a fresh Azurite container, or a redis-server of its own (started here,
/// killed on dispose). It outlives the clusters started over it, so a cluster restarted over it finds the state.
/// </summary>
public abstract class ClusterStore : IAsyncDisposable
{
    private const string ProviderProperty = "TlcProvider";
    private const string ConnectionProperty = "TlcStateConnection";
    private const string ContainerProperty = "TlcContainer";

    /// <summary>The provider.</summary>
    public abstract ClusterProvider Provider { get; }

    /// <summary>A fresh store of <paramref name="provider"/>; <paramref name="prefix"/> names the Azurite container.</summary>
    public static async Task<ClusterStore> CreateAsync(ClusterProvider provider, string prefix = "grains") => provider switch
    {
        ClusterProvider.Azure => new AzureStore(Azurite.NewContainerName(prefix)),
        ClusterProvider.Redis => new RedisStore(await RedisServer.StartAsync()),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, null),
    };

    /// <summary>Removes the state (the container; the Redis server and its folder).</summary>
    public abstract ValueTask DisposeAsync();

    internal abstract void Configure(TestClusterBuilder builder);

    internal static void ConfigureSilo(ISiloBuilder siloBuilder, IConfiguration configuration)
    {
        if (configuration[ProviderProperty] == nameof(ClusterProvider.Redis))
        {
            // The same clustering, storage and reminders as a cluster.mode redis silo.
            siloBuilder.UseRedisCluster(configuration[ConnectionProperty]!);
            return;
        }
        siloBuilder.AddAzureBlobGrainStorage(TlcGrainNames.Storage, o =>
        {
            o.BlobServiceClient = new Azure.Storage.Blobs.BlobServiceClient(configuration[ConnectionProperty]);
            o.ContainerName = configuration[ContainerProperty]!;
        });
    }

    internal static void ConfigureClient(IConfiguration configuration, IClientBuilder clientBuilder)
    {
        if (configuration[ProviderProperty] == nameof(ClusterProvider.Redis))
        {
            clientBuilder.UseRedisCluster(configuration[ConnectionProperty]!);
        }
    }

    /// <summary>State in Azure Blob storage on Azurite, one container.</summary>
    public sealed class AzureStore(string container) : ClusterStore
    {
        /// <inheritdoc />
        public override ClusterProvider Provider => ClusterProvider.Azure;

        /// <summary>The container holding the grain state.</summary>
        public string Container { get; } = container;

        /// <inheritdoc />
        public override async ValueTask DisposeAsync() => await Azurite.DeleteContainerAsync(Container);

        internal override void Configure(TestClusterBuilder builder)
        {
            builder.Properties[ProviderProperty] = nameof(ClusterProvider.Azure);
            builder.Properties[ConnectionProperty] = Azurite.ConnectionString;
            builder.Properties[ContainerProperty] = Container;
        }
    }

    /// <summary>Membership, grain state and reminders on a redis-server of the store's own.</summary>
    public sealed class RedisStore(RedisServer server) : ClusterStore
    {
        /// <inheritdoc />
        public override ClusterProvider Provider => ClusterProvider.Redis;

        /// <summary>The server.</summary>
        public RedisServer Server { get; } = server;

        /// <inheritdoc />
        public override ValueTask DisposeAsync() => Server.DisposeAsync();

        internal override void Configure(TestClusterBuilder builder)
        {
            // No primary silo keeps the membership: every silo and the client find each other in Redis, so any silo can die.
            builder.Options.UseTestClusterMembership = false;
            builder.Properties[ProviderProperty] = nameof(ClusterProvider.Redis);
            builder.Properties[ConnectionProperty] = Server.ConnectionString;
        }
    }
}
