using Apache.Arrow.Ipc;

namespace Tlc.Tables.Storage;

/// <summary>Chunk compression settings.</summary>
internal static class Compression
{
    public static readonly ICompressionCodecFactory Codecs = new Apache.Arrow.Compression.CompressionCodecFactory();

    public static IpcOptions IpcOptionsFor(string compression) => compression switch
    {
        "none" or "" => new IpcOptions(),
        "lz4" => new IpcOptions { CompressionCodec = CompressionCodecType.Lz4Frame, CompressionCodecFactory = Codecs },
        "zstd" => new IpcOptions { CompressionCodec = CompressionCodecType.Zstd, CompressionCodecFactory = Codecs },
        _ => throw new ArgumentException($"Unknown compression '{compression}' (none, lz4 or zstd)."),
    };
}
