using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.Storage;
using Tlc.Silo.Storage;

namespace Tlc.Silo.Hosting;

/// <summary>Registers <see cref="FileGrainStorage"/>.</summary>
public static class FileGrainStorageSiloBuilderExtensions
{
    /// <summary>Adds file grain storage named <paramref name="name"/> under <paramref name="rootDirectory"/>.</summary>
    public static ISiloBuilder AddFileGrainStorage(this ISiloBuilder builder, string name, string rootDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<FileGrainStorageOptions>(name).Configure(o => o.RootDirectory = rootDirectory);
        builder.Services.AddTransient<IPostConfigureOptions<FileGrainStorageOptions>, DefaultStorageProviderSerializerOptionsConfigurator<FileGrainStorageOptions>>();
        builder.Services.AddGrainStorage(name, (services, storageName) =>
            new FileGrainStorage(storageName, services.GetRequiredService<IOptionsMonitor<FileGrainStorageOptions>>().Get(storageName)));
        return builder;
    }
}
