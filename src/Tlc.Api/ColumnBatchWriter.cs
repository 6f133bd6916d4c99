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
        // Only the asked columns are decoded (a table's other image columns are not).
        var values = columns.Select(_ => new object?[rows.Length]).ToArray();
        Parallel.For(0, rows.Length, i =>
        {
            for (var c = 0; c < columns.Count; c++)
            {
                values[c][i] = table.SampleValue(columns[c], rows[i]);
            }
        });
        var described = new JsonArray { new JsonObject { ["name"] = "example_id", ["type"] = "int64" } };
        var data = new List<byte[]> { MemoryMarshal.AsBytes(rows.AsSpan()).ToArray() };
        for (var c = 0; c < columns.Count; c++)
        {
            var column = columns[c];
            var (type, shape, bytes) = Column(column, values[c], rows);
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

    private static (string Type, int[]? Shape, byte[] Bytes) Column(string column, object?[] values, long[] rows)
    {
        if (values.Length == 0)
        {
            return ("int64", null, []);
        }
        var first = values[0];
        switch (first)
        {
            case ImageSample image:
                var channels = image.ColorType == ImageColorType.Gray8 ? 1 : 4;
                var size = image.Width * image.Height * channels;
                var pixels = new byte[(long)size * values.Length];
                for (var i = 0; i < values.Length; i++)
                {
                    var next = values[i] as ImageSample ?? throw new ApiException(409, $"Row {rows[i]}, column '{column}': no image.");
                    if (next.Width != image.Width || next.Height != image.Height || next.ColorType != image.ColorType)
                    {
                        throw new ApiException(409, $"Row {rows[i]}, column '{column}': a {next.Width}x{next.Height} image among {image.Width}x{image.Height} ones; ask for rows of one size.");
                    }
                    next.Pixels.CopyTo(pixels, (long)i * size);
                }
                return ($"uint8[{size}]", [image.Height, image.Width, channels], pixels);
            case long or int or short or sbyte or byte or ushort or uint:
                return ("int64", null, MemoryMarshal.AsBytes(values.Select(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray().AsSpan()).ToArray());
            case float:
                return ("float32", null, MemoryMarshal.AsBytes(values.Select(v => v is float f ? f : float.NaN).ToArray().AsSpan()).ToArray());
            case double:
                return ("float64", null, MemoryMarshal.AsBytes(values.Select(v => v is double d ? d : double.NaN).ToArray().AsSpan()).ToArray());
            case bool:
                return ("bool", null, values.Select(v => v is true ? (byte)1 : (byte)0).ToArray());
            default:
                throw new ApiException(400, $"columns: '{column}' holds {first?.GetType().Name ?? "nothing"}, which the binary form does not carry (numbers, bools and images).");
        }
    }
}
