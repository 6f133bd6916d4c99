using ParquetSharp;
using ParquetSharp.Arrow;

namespace Tlc.Tables.Export;

/// <summary>
/// Parquet export with ParquetSharp's Arrow writer: the table's record batches are streamed into buffered row groups
/// (snappy-compressed; the Arrow schema is stored, so Arrow readers get the exact types back).
/// </summary>
internal static class ParquetExporter
{
    public static async Task<ExportResult> ExportAsync(Table table, string target, ExportOptions options, CancellationToken cancellationToken)
    {
        var scan = new ExportScan(table, options, target);
        var adapters = options.Adapters ?? table.Adapters;
        var url = adapters.Expand(new Url(target));
        await using var stream = adapters.OpenWrite(url, options.WriteMode);
        using (var properties = new WriterPropertiesBuilder().Compression(Compression.Snappy).Build())
        using (var arrowProperties = new ArrowWriterPropertiesBuilder().StoreSchema().Build())
        using (var writer = new FileWriter(stream, scan.Schema, properties, arrowProperties, leaveOpen: true))
        {
            foreach (var (batch, _) in scan.Batches(cancellationToken))
            {
                writer.WriteBufferedRecordBatch(batch);
            }
            writer.Close();
        }
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ExportResult(url, scan.Rows, scan.SkippedRows);
    }
}
