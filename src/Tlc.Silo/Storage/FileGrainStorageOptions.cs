using Orleans.Storage;

namespace Tlc.Silo.Storage;

/// <summary>Options of <see cref="FileGrainStorage"/>.</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The folder holding grain state files. Required.</summary>
    public string RootDirectory { get; set; } = "";

    /// <summary>How state is serialised. Default: Orleans' own serializer (set by the provider's configurator).</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
