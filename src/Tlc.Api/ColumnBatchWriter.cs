using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Tables;
using Tlc.Tables.Samples;

namespace Tlc.Api;

/// <summary>
/// Writes table rows in the binary form of <see cref="ColumnBatchReader"/> for trainers to read: <c>example_id</c>, then
/// each asked column — numbers as int64 / int32 / float32 / float64 / bool, images decoded to <c>uint8[N]</c> pixels
/// (row-major; the header gives each image column's <c>shape</c> [height, width, channels]; every image of a column must
/// have one shape).
/// </summary>
internal static class ColumnBatchWriter
{
    /// <summary>The samples at <paramref name="rows"/> of <paramref name="table"/>, columns <paramref name="columns"/>, decoded on parallel threads.</summary>
    public static byte[] Samples(Table table, long[] rows, IReadOnlyList<string> columns)
    {
        foreach (var column in columns)
        {
            if (!table.Schema.Contains(column))
            {
                throw new ApiException(400, $"columns: '{column}' is not a column of {table.Url} (columns: {string.Join(", ", table.Schema.Names)}).");
            }
        }
        foreach (var row in rows)
        {
            if (row < 0 || row >= table.RowCount)
            {
                throw new ApiException(400, $"rows: {row} is outside 0..{table.RowCount - 1} of {table.Url}.");
            }
        }
        var samples = new TableRow[rows.Length];
        Parallel.For(0, rows.Length, i => samples[i] = table.Sample(rows[i]));
        var described = new JsonArray { new JsonObject { ["name"] = "example_id", ["type"] = "int64" } };
        var data = new List<byte[]> { MemoryMarshal.AsBytes(rows.AsSpan()).ToArray() };
        foreach (var column in columns)
        {
            var (type, shape, bytes) = Column(column, samples);
            var entry = new JsonObject { ["name"] = column, ["type"] = type };
            if (shape is not null)
            {
                entry["shape"] = new JsonArray([.. shape.Select(s => (JsonNode?)s)]);
            }
            described.Add(entry);
            data.Add(bytes);
        }
        var header = JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["rows"] = rows.Length, ["columns"] = described });
        using var body = new MemoryStream();
        body.Write("TLCC"u8);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)header.Length);
        body.Write(length);
        body.Write(header);
        foreach (var bytes in data)
        {
            while (body.Length % 8 != 0)
            {
                body.WriteByte(0);
            }
            body.Write(bytes);
        }
        return body.ToArray();
    }

    private static (string Type, int[]? Shape, byte[] Bytes) Column(string column, TableRow[] samples)
    {
        if (samples.Length == 0)
        {
            return ("int64", null, []);
        }
        var first = samples[0][column];
        switch (first)
        {
            case ImageSample image:
                var channels = image.ColorType == ImageColorType.Gray8 ? 1 : 4;
                var size = image.Width * image.Height * channels;
                var pixels = new byte[(long)size * samples.Length];
                for (var i = 0; i < samples.Length; i++)
                {
                    var next = samples[i][column] as ImageSample ?? throw new ApiException(409, $"Row {samples[i].Index}, column '{column}': no image.");
                    if (next.Width != image.Width || next.Height != image.Height || next.ColorType != image.ColorType)
                    {
                        throw new ApiException(409, $"Row {samples[i].Index}, column '{column}': a {next.Width}x{next.Height} image among {image.Width}x{image.Height} ones; ask for rows of one size.");
                    }
                    next.Pixels.CopyTo(pixels, (long)i * size);
                }
                return ($"uint8[{size}]", [image.Height, image.Width, channels], pixels);
            case long or int or short or sbyte or byte or ushort or uint:
                return ("int64", null, MemoryMarshal.AsBytes(samples.Select(s => Convert.ToInt64(s[column], System.Globalization.CultureInfo.InvariantCulture)).ToArray().AsSpan()).ToArray());
            case float:
                return ("float32", null, MemoryMarshal.AsBytes(samples.Select(s => s[column] is float f ? f : float.NaN).ToArray().AsSpan()).ToArray());
            case double:
                return ("float64", null, MemoryMarshal.AsBytes(samples.Select(s => s[column] is double d ? d : double.NaN).ToArray().AsSpan()).ToArray());
            case bool:
                return ("bool", null, samples.Select(s => s[column] is true ? (byte)1 : (byte)0).ToArray());
            default:
                throw new ApiException(400, $"columns: '{column}' holds {first?.GetType().Name ?? "nothing"}, which the binary form does not carry (numbers, bools and images).");
        }
    }
}
