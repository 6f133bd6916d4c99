using System.Buffers.Binary;
using System.IO.Compression;

namespace Tlc.Tables.Import;

/// <summary>
/// Reads the IDX format of MNIST-style datasets (<c>*-images-idx3-ubyte[.gz]</c>, <c>*-labels-idx1-ubyte[.gz]</c>):
/// big-endian dimensions after a magic number naming the element type. Only unsigned bytes are supported (what MNIST
/// and Fashion-MNIST use).
/// </summary>
public static class IdxReader
{
    /// <summary>Reads images: count × rows × columns bytes.</summary>
    public static (int Count, int Rows, int Columns, byte[] Pixels) ReadImages(string path)
    {
        var (dims, data) = Read(path, expectedDimensions: 3);
        return (dims[0], dims[1], dims[2], data);
    }

    /// <summary>Reads labels: one byte per item.</summary>
    public static byte[] ReadLabels(string path) => Read(path, expectedDimensions: 1).Data;

    private static (int[] Dims, byte[] Data) Read(string path, int expectedDimensions)
    {
        using var file = File.OpenRead(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        Span<byte> header = stackalloc byte[4];
        stream.ReadExactly(header);
        if (header[0] != 0 || header[1] != 0)
        {
            throw new ImportException(path, "byte 0", "not an IDX file (bad magic number)");
        }
        if (header[2] != 0x08)
        {
            throw new ImportException(path, "byte 2", $"IDX element type 0x{header[2]:x2} is not unsigned byte (0x08)");
        }
        if (header[3] != expectedDimensions)
        {
            throw new ImportException(path, "byte 3", $"expected {expectedDimensions} dimensions, found {header[3]}");
        }
        var dims = new int[expectedDimensions];
        long total = 1;
        Span<byte> dim = stackalloc byte[4];
        for (var i = 0; i < dims.Length; i++)
        {
            stream.ReadExactly(dim);
            dims[i] = BinaryPrimitives.ReadInt32BigEndian(dim);
            total *= dims[i];
        }
        if (total > Array.MaxLength)
        {
            throw new ImportException(path, null, $"{total} elements are more than one array holds");
        }
        var data = new byte[total];
        try
        {
            stream.ReadExactly(data);
        }
        catch (EndOfStreamException e)
        {
            throw new ImportException(path, null, $"truncated: expected {total} data bytes", e);
        }
        return (dims, data);
    }
}
