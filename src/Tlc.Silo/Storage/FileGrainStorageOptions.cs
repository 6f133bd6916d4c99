using Orleans.Storage;

namespace Tlc.Silo.Storage;

/// <summary>Options of <see cref="FileGrainStorage"/>.</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The folder holding grain state files. Required.</summary>
    public string RootDirectory { get; set; } = "";

    /// <summary>The log is compacted when larger than this and more than half superseded. Default: 64 MiB.</summary>
    public long CompactAboveBytes { get; set; } = 64L << 20;

    /// <summary>How state is serialised. Default: Orleans' own serializer (set by the provider's configurator).</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
