using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Tlc.Grains.Kinds;

namespace Tlc.Grains.Hosting;

/// <summary>Registers the job kernel's services on a silo: the job kinds, their registry and the job clock.</summary>
public static class JobKernelServiceCollectionExtensions
{
    /// <summary>
    /// Adds the built-in job kinds (metrics, stream, import), the kind registry and — unless one is registered already —
    /// the job clock (<see cref="TlcGrainNames.JobClock"/>: the system clock).
    /// </summary>
    public static IServiceCollection AddJobKernel(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddKeyedSingleton(TlcGrainNames.JobClock, TimeProvider.System);
        services.AddJobKind<MetricsKind>();
        services.AddJobKind<StreamKind>();
        services.AddJobKind<ImportKind>();
        services.TryAddSingleton<JobKindRegistry>();
        return services;
    }

    /// <summary>Adds a job kind (one instance per silo; its <see cref="IJobKind.Name"/> must be new).</summary>
    public static IServiceCollection AddJobKind<TKind>(this IServiceCollection services) where TKind : class, IJobKind
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobKind, TKind>());
        return services;
    }
}
