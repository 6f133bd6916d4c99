using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Schemas;

namespace Tlc.Api;

/// <summary>
/// Reads a batch of rows given column-wise — JSON (<c>{"example_id": [...], "loss": [...]}</c>) or the binary form
/// (<see cref="BinaryMediaType"/>) — into typed columns of a rank's table, checking every value first: an unknown column,
/// a value of the wrong type, columns of different lengths, an <c>example_id</c> outside the input table or twice in the
/// batch are refused naming the column and row, before anything is written.
/// </summary>
/// <remarks>
/// The binary form: the 4 bytes <c>TLCC</c>, a little-endian uint32 header length, the header as UTF-8 JSON
/// (<c>{"rows": N, "columns": [{"name": "example_id", "type": "int64"}, {"name": "loss", "type": "float32"}]}</c>), then
/// each column's values as little-endian machine values (bool: one byte) — each column starting at the next multiple of 8
/// bytes from the start of the body. numpy writes it with <c>tobytes()</c>.
/// </remarks>
internal static class ColumnBatchReader
{
    /// <summary>The media type of the binary form.</summary>
    public const string BinaryMediaType = "application/vnd.tlc.columns";

    private static ReadOnlySpan<byte> Magic => "TLCC"u8;

    /// <summary>A checked batch: its columns (ready for the writer), rows and ids.</summary>
    public sealed record Batch(Dictionary<string, IList> Columns, int Rows);

    /// <summary>Reads a JSON body.</summary>
    public static Batch ReadJson(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, ColumnSchema> columns, long tableRows)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject ?? throw new ApiException(400, "The body must be a JSON object of columns (e.g. {\"example_id\": [...], \"loss\": [...]}).");
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"The body is not JSON: {e.Message}");
        }
        var result = new Dictionary<string, IList>(StringComparer.Ordinal);
        int? rows = null;
        foreach (var (name, node) in root)
        {
            var schema = Known(name, columns);
            var array = node as JsonArray ?? throw new ApiException(400, $"Column '{name}' must be an array of values.");
            rows ??= array.Count;
            if (array.Count != rows)
            {
                throw new ApiException(400, $"Column '{name}' has {array.Count} values, '{root.First().Key}' has {rows}: every column needs one value per row.");
            }
            result[name] = Values(name, schema, array);
        }
        return Checked(result, rows ?? 0, columns, tableRows);
    }

    /// <summary>Reads a binary body.</summary>
    public static Batch ReadBinary(ReadOnlySpan<byte> body, IReadOnlyDictionary<string, ColumnSchema> columns, long tableRows)
    {
        if (body.Length < 8 || !body[..4].SequenceEqual(Magic))
        {
            throw new ApiException(400, $"A {BinaryMediaType} body starts with 'TLCC' and a header length.");
        }
        var headerLength = BinaryPrimitives.ReadUInt32LittleEndian(body[4..8]);
        if (headerLength > body.Length - 8)
        {
            throw new ApiException(400, $"The header length {headerLength} is beyond the body's {body.Length} bytes.");
        }
        JsonObject header;
        try
        {
            header = JsonNode.Parse(body.Slice(8, (int)headerLength)) as JsonObject ?? throw new ApiException(400, "The binary header must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ApiException(400, $"The binary header is not JSON: {e.Message}");
        }
        var rows = header["rows"]?.GetValue<int>() ?? throw new ApiException(400, "The binary header has no 'rows'.");
        var described = header["columns"] as JsonArray ?? throw new ApiException(400, "The binary header has no 'columns' array.");
        var offset = Align(8 + (int)headerLength);
        var result = new Dictionary<string, IList>(StringComparer.Ordinal);
        for (var c = 0; c < described.Count; c++)
        {
            var name = described[c]?["name"]?.GetValue<string>() ?? throw new ApiException(400, $"columns[{c}] has no name.");
            var type = described[c]?["type"]?.GetValue<string>() ?? throw new ApiException(400, $"columns[{c}] ('{name}') has no type.");
            var schema = Known(name, columns);
            var expected = ColumnTypes.Name(schema);
            if (type != expected)
            {
                throw new ApiException(400, $"Column '{name}' is {expected ?? schema.Describe()} in this table, not {type}.");
            }
            var (size, width) = schema switch
            {
                EmbeddingSchema { Dimensions: { } n } => (4, n),
                Float32Schema or Int32Schema => (4, 1),
                Float64Schema or Int64Schema or ExampleIdSchema => (8, 1),
                BoolSchema => (1, 1),
                _ => throw new ApiException(400, $"Column '{name}' ({type}) cannot be sent in the binary form; send it as JSON."),
            };
            var bytes = checked((long)rows * width * size);
            if (offset + bytes > body.Length)
            {
                throw new ApiException(400, $"Column '{name}' needs {bytes} bytes at {offset}, but the body has {body.Length}.");
            }
            var data = body.Slice(offset, (int)bytes);
            result[name] = schema switch
            {
                EmbeddingSchema => Rows(MemoryMarshal.Cast<byte, float>(data).ToArray(), rows, width),
                Float32Schema => MemoryMarshal.Cast<byte, float>(data).ToArray(),
                Float64Schema => MemoryMarshal.Cast<byte, double>(data).ToArray(),
                Int32Schema => MemoryMarshal.Cast<byte, int>(data).ToArray(),
                Int64Schema or ExampleIdSchema => MemoryMarshal.Cast<byte, long>(data).ToArray(),
                _ => data.ToArray().Select(b => b != 0).ToArray(),
            };
            offset = Align(offset + (int)bytes);
        }
        return Checked(result, rows, columns, tableRows);
    }

    private static int Align(int offset) => (offset + 7) & ~7;

    private static float[][] Rows(float[] values, int rows, int width)
    {
        var result = new float[rows][];
        for (var r = 0; r < rows; r++)
        {
            result[r] = values.AsSpan(r * width, width).ToArray();
        }
        return result;
    }

    private static ColumnSchema Known(string name, IReadOnlyDictionary<string, ColumnSchema> columns) =>
        columns.TryGetValue(name, out var schema)
            ? schema
            : throw new ApiException(400, $"Unknown column '{name}' (this table's columns: {string.Join(", ", columns.Keys)}).");

    private static IList Values(string name, ColumnSchema schema, JsonArray array)
    {
        T Get<T>(int row, string what)
        {
            try
            {
                return array[row] is JsonValue value ? value.GetValue<T>() : throw new FormatException();
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException)
            {
                throw new ApiException(400, $"Row {row}, column '{name}': {array[row]?.ToJsonString() ?? "null"} is not {what}.");
            }
        }
        var rows = array.Count;
        switch (schema)
        {
            case EmbeddingSchema { Dimensions: { } width }:
                var vectors = new float[rows][];
                for (var r = 0; r < rows; r++)
                {
                    var vector = array[r] as JsonArray;
                    if (vector is null || vector.Count != width)
                    {
                        throw new ApiException(400, $"Row {r}, column '{name}': expected {width} numbers, got {array[r]?.ToJsonString() ?? "null"}.");
                    }
                    vectors[r] = new float[width];
                    for (var i = 0; i < width; i++)
                    {
                        vectors[r][i] = vector[i] is JsonValue v && v.TryGetValue<double>(out var d)
                            ? (float)d
                            : throw new ApiException(400, $"Row {r}, column '{name}'[{i}]: {vector[i]?.ToJsonString() ?? "null"} is not a number.");
                    }
                }
                return vectors;
            case Float32Schema:
                return Enumerable.Range(0, rows).Select(r => (float)Get<double>(r, "a number")).ToArray();
            case Float64Schema:
                return Enumerable.Range(0, rows).Select(r => Get<double>(r, "a number")).ToArray();
            case Int32Schema:
                return Enumerable.Range(0, rows).Select(r => Get<int>(r, "a 32-bit integer")).ToArray();
            case Int64Schema or ExampleIdSchema:
                return Enumerable.Range(0, rows).Select(r => Get<long>(r, "an integer")).ToArray();
            case BoolSchema:
                return Enumerable.Range(0, rows).Select(r => Get<bool>(r, "true or false")).ToArray();
            case StringSchema:
                return Enumerable.Range(0, rows).Select(r => Get<string>(r, "a string")).ToArray();
            default:
                throw new ApiException(400, $"Column '{name}' ({schema.Describe()}) cannot be written over HTTP.");
        }
    }

    private static Batch Checked(Dictionary<string, IList> columns, int rows, IReadOnlyDictionary<string, ColumnSchema> known, long tableRows)
    {
        if (!columns.TryGetValue("example_id", out var given))
        {
            throw new ApiException(400, $"Each batch needs 'example_id' (row indices into the input table); columns given: {string.Join(", ", columns.Keys)}.");
        }
        var ids = given as long[] ?? throw new ApiException(400, "Column 'example_id' must hold int64 values.");
        var missing = known.Keys.Where(k => !columns.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            throw new ApiException(400, $"Column(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} missing from the batch (every column, every batch).");
        }
        var seen = new Dictionary<long, int>(ids.Length);
        for (var r = 0; r < ids.Length; r++)
        {
            if (ids[r] < 0 || ids[r] >= tableRows)
            {
                throw new ApiException(400, $"Row {r}, column 'example_id': {ids[r].ToString(CultureInfo.InvariantCulture)} is outside the input table's rows 0..{tableRows - 1}.");
            }
            if (!seen.TryAdd(ids[r], r))
            {
                throw new ApiException(400, $"Row {r}, column 'example_id': {ids[r].ToString(CultureInfo.InvariantCulture)} is also in row {seen[ids[r]]} of this batch; each example once.");
            }
        }
        return new Batch(columns, rows);
    }

    /// <summary>True when <paramref name="contentType"/> is the binary form.</summary>
    public static bool IsBinary(string? contentType) => contentType?.StartsWith(BinaryMediaType, StringComparison.OrdinalIgnoreCase) == true;

}
