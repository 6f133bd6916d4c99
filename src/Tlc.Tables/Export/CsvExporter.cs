using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text;
using Apache.Arrow;
using nietras.SeparatedValues;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Export;

/// <summary>
/// CSV export with Sep: a header row of column names, then one line per row. Scalars are written as text in the invariant
/// culture (floats round-trippable, booleans <c>true</c>/<c>false</c>, timestamps ISO 8601, bytes base64, null as an empty
/// cell); lists and structs as compact JSON in the cell. Cells are quoted where needed.
/// </summary>
internal static class CsvExporter
{
    public static async Task<ExportResult> ExportAsync(Table table, string target, ExportOptions options, CancellationToken cancellationToken)
    {
        var scan = new ExportScan(table, options, target);
        var adapters = options.Adapters ?? table.Adapters;
        var url = adapters.Expand(new Url(target));
        await using var stream = adapters.OpenWrite(url, options.WriteMode);
        await using (var text = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), 1 << 16, leaveOpen: true))
        {
            using var writer = Sep.New(',').Writer(o => o with { Escape = true, CultureInfo = CultureInfo.InvariantCulture }).To(text, leaveOpen: true);
            writer.Header.Add(scan.Names.ToArray());
            var json = new ArrayBufferWriter<byte>();
            var wroteRow = false;
            foreach (var (batch, _) in scan.Batches(cancellationToken))
            {
                for (var r = 0; r < batch.Length; r++)
                {
                    using var row = writer.NewRow();
                    for (var c = 0; c < batch.ColumnCount; c++)
                    {
                        var value = ArrowValues.GetValue(batch.Column(c), r);
                        if (IsNested(value))
                        {
                            row[c].Set(JsonValues.ToUtf8(value, json).Span);
                        }
                        else
                        {
                            row[c].Set(Scalar(value));
                        }
                    }
                    wroteRow = true;
                }
            }
            if (!wroteRow)
            {
                writer.Header.Write();
            }
        }
        await stream.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new ExportResult(url, scan.Rows, scan.SkippedRows);
    }

    private static bool IsNested(object? value) => value is IEnumerable and not string and not byte[];

    /// <summary>The CSV text of a scalar value.</summary>
    internal static string Scalar(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        byte[] bytes => Convert.ToBase64String(bytes),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
