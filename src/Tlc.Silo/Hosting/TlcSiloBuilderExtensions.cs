using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime.Hosting;
using Tlc.Grains;
using Tlc.Grains.Hosting;
using Tlc.Silo.Storage;
using Orleans.Storage;
using Tlc.Tables.Configuration;
using Tlc.Tables.Urls;

namespace Tlc.Silo.Hosting;

/// <summary>Configures a silo to host Tlc's grains, embedded or in a shared cluster (Azure Storage or Redis).</summary>
public static class TlcSiloBuilderExtensions
{
    /// <summary>
    /// Adds Tlc to a silo: clustering, grain state (<see cref="TlcGrainNames.Storage"/>), the strongly consistent grain
    /// directory for job, part and sink grains, and the services grains use (URL adapters, time).
    /// </summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="settings">Tlc's settings (root, Azure, cluster).</param>
    /// <param name="endpoints">The ports to use (embedded mode picks free ones).</param>
    public static ISiloBuilder UseTlc(this ISiloBuilder builder, TlcOptions settings, SiloEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(endpoints);
        var cluster = settings.Cluster;
        if (cluster.Kubernetes)
        {
            // Before ClusterOptions below, so that cluster.cluster_id / service_id win over ORLEANS_CLUSTER_ID / ORLEANS_SERVICE_ID.
            builder.UseKubernetesHosting();
        }
        builder.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = cluster.ClusterId;
            o.ServiceId = cluster.ServiceId;
        });
        if (cluster.IsShared)
        {
            if (cluster.IsRedis)
            {
                builder.UseRedisCluster(cluster.RedisConnectionString!);
            }
            else
            {
                var connection = cluster.ConnectionString ?? settings.Azure.ConnectionString!;
                builder.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(connection));
                builder.AddAzureBlobGrainStorage(TlcGrainNames.Storage, o =>
                {
                    o.BlobServiceClient = new Azure.Storage.Blobs.BlobServiceClient(connection);
                    o.ContainerName = cluster.StateContainer;
                });
                builder.Services.UseAzureTableReminderService(o => o.TableServiceClient = new TableServiceClient(connection));
            }
            builder.ConfigureEndpoints(
                endpoints.AdvertisedAddress ?? IPAddress.Loopback,
                endpoints.SiloPort,
                endpoints.GatewayPort,
                listenOnAnyHostAddress: endpoints.AdvertisedAddress is not null && !IPAddress.IsLoopback(endpoints.AdvertisedAddress));
        }
        else
        {
            builder.UseLocalhostClustering(endpoints.SiloPort, endpoints.GatewayPort, serviceId: cluster.ServiceId, clusterId: cluster.ClusterId);
            builder.AddFileGrainStorage(TlcGrainNames.Storage, EmbeddedSilo.StateFolder(settings.RootUrl));
        }
        // The embedded silo listens on loopback only and stays plain; every other mode's connections are TLS when configured.
        if (!cluster.IsEmbedded && cluster.Tls.Enabled)
        {
            builder.UseClusterTls(cluster.Tls);
        }
        return builder.AddTlcGrainServices(settings);
    }

    /// <summary>
    /// What Tlc's grains need whatever the clustering and storage: the URL adapters configured by
    /// <paramref name="settings"/>, the clock, the job kernel (its kinds and clock) and the grain state serializer
    /// (<see cref="TlcGrainStorageSerializer"/>). (The grain storage <see cref="TlcGrainNames.Storage"/> is added by the
    /// caller.) Grains use Orleans' standard grain directory unless <c>cluster.grain_directory</c> is <c>distributed</c>:
    /// correctness never rests on a grain having one activation (state writes are ETag-fenced, publication is
    /// create-if-absent), and the experimental distributed directory can stop serving lookups after concurrent membership
    /// changes (see docs/architecture.md).
    /// </summary>
    public static ISiloBuilder AddTlcGrainServices(this ISiloBuilder builder, TlcOptions settings)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Cluster.GrainDirectory == "distributed")
        {
#pragma warning disable ORLEANSEXP003 // Experimental in Orleans: opt-in only, documented as such.
            builder.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
        }
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddJobKernel();
        // Compact binary grain state for Tlc's storage (job segments write many small deltas), still reading older JSON state.
        builder.Services.TryAddKeyedSingleton<IGrainStorageSerializer>(TlcGrainNames.Storage, (services, _) =>
            new TlcGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>(), services.GetRequiredService<IGrainStorageSerializer>()));
        builder.Services.TryAddSingleton(_ =>
        {
            var adapters = new UrlAdapterRegistry();
            TlcConfiguration.Apply(settings, adapters);
            return adapters;
        });
        return builder;
    }
}

/// <summary>The addresses a silo listens on.</summary>
/// <param name="SiloPort">The silo-to-silo port.</param>
/// <param name="GatewayPort">The client gateway port.</param>
/// <param name="AdvertisedAddress">The address other silos reach this one at (null: loopback).</param>
public sealed record SiloEndpoints(int SiloPort, int GatewayPort, IPAddress? AdvertisedAddress = null)
{
    /// <summary>The silo port of a shared cluster's silo when <c>cluster.silo_port</c> is not set.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>The gateway port of a shared cluster's silo when <c>cluster.gateway_port</c> is not set.</summary>
    public const int DefaultGatewayPort = 30000;
}
