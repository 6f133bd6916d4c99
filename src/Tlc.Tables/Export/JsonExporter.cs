using System.Text.Json;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Export;

/// <summary>
/// JSON export: one object per row (column name → value, structs as objects, lists as arrays), as NDJSON lines or one array.
/// Values are written as by <see cref="JsonValues"/>.
/// </summary>
internal static class JsonExporter
{
    public static async Task<ExportResult> ExportAsync(Table table, string target, JsonExportOptions options, CancellationToken cancellationToken)
    {
        var scan = new ExportScan(table, options, target);
        var adapters = options.Adapters ?? table.Adapters;
        var url = adapters.Expand(new Url(target));
        var names = scan.Names.Select(n => JsonEncodedText.Encode(n, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping)).ToArray();
        var lines = options.Format == JsonExportFormat.Lines;
        await using var stream = adapters.OpenWrite(url, options.WriteMode);
        await using (var writer = new Utf8JsonWriter(stream, JsonValues.Options(!lines && options.Indented)))
        {
            if (!lines)
            {
                writer.WriteStartArray();
            }
            foreach (var (batch, _) in scan.Batches(cancellationToken))
            {
                for (var r = 0; r < batch.Length; r++)
                {
                    writer.WriteStartObject();
                    for (var c = 0; c < batch.ColumnCount; c++)
                    {
                        writer.WritePropertyName(names[c]);
                        JsonValues.Write(writer, ArrowValues.GetValue(batch.Column(c), r));
                    }
                    writer.WriteEndObject();
                    if (lines)
                    {
                        writer.Flush();
                        stream.WriteByte((byte)'\n');
                        writer.Reset(stream);
                    }
                }
            }
            if (!lines)
            {
                writer.WriteEndArray();
                writer.Flush();
                stream.WriteByte((byte)'\n');
            }
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ExportResult(url, scan.Rows, scan.SkippedRows);
    }
}
