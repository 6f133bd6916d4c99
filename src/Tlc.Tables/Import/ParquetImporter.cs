using System.Text.Json.Nodes;
using Apache.Arrow;
using ParquetSharp;
using ParquetSharp.Arrow;
using SchemaField = ParquetSharp.Arrow.SchemaField;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Configuration;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a Parquet file (see <see cref="Table.FromParquetAsync"/>) through ParquetSharp's Arrow reader: the file's
/// Arrow schema gives the column schemas, and record batches stream from the row groups into the writer, converted to
/// the Tlc column types. Memory stays at about one record batch.
/// </summary>
internal static class ParquetImporter
{
    public static async Task<Table> ImportAsync(string pathOrUrl, ParquetImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = new ImportInput(pathOrUrl, options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        using var local = await input.LocalFileAsync(cancellationToken).ConfigureAwait(false);
        var batchRows = options.BatchRows ?? (options.Settings ?? TlcSettings.Current).Tables.BatchRows;
        using var arrowProperties = ArrowReaderProperties.GetDefault();
        arrowProperties.BatchSize = batchRows;
        FileReader reader;
        try
        {
            reader = new FileReader(local.Path, arrowProperties: arrowProperties);
        }
        catch (ParquetException e)
        {
            throw input.Error("footer", $"not a readable Parquet file ({e.Message.Trim()})", e);
        }
        using (reader)
        {
            var (fields, schema) = MapSchema(input, reader, options);
            var source = ImportProvenance.Source("parquet", input.Url, options, new JsonObject
            {
                ["row_groups"] = reader.NumRowGroups,
                ["columns"] = new JsonArray(fields.Select(f => (JsonNode?)JsonValue.Create(f.Field.Name)).ToArray()),
            });
            var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, source), cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                await CopyAsync(input, reader, fields, schema, writer, cancellationToken).ConfigureAwait(false);
                return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static (List<SchemaField> Fields, TableSchema Schema) MapSchema(ImportInput input, FileReader reader, ParquetImportOptions options)
    {
        var available = reader.SchemaManifest.SchemaFields;
        var fields = new List<SchemaField>();
        if (options.Columns is { } wanted)
        {
            foreach (var name in wanted)
            {
                fields.Add(available.FirstOrDefault(f => f.Field.Name == name)
                    ?? throw input.Error($"column '{name}'", $"no such column (columns: {string.Join(", ", available.Select(f => f.Field.Name))})"));
            }
        }
        else
        {
            fields.AddRange(available);
        }
        var declared = options.Schema;
        foreach (var name in declared?.Keys ?? [])
        {
            if (!fields.Any(f => f.Field.Name == name))
            {
                throw input.Error($"column '{name}'", $"the schema declares a column the file lacks (columns: {string.Join(", ", fields.Select(f => f.Field.Name))})");
            }
        }
        var schema = new TableSchema();
        foreach (var field in fields)
        {
            var name = field.Field.Name;
            if (declared?.GetValueOrDefault(name) is { } column)
            {
                schema.Add(name, column);
                continue;
            }
            try
            {
                schema.Add(name, ArrowColumnMapping.ToColumnSchema(field.Field));
            }
            catch (NotSupportedException e)
            {
                throw input.Error($"column '{name}'", $"{e.Message}; declare the column in Schema or leave it out with Columns", e);
            }
        }
        return (fields, schema);
    }

    private static async Task CopyAsync(ImportInput input, FileReader reader, List<SchemaField> fields, TableSchema schema, TableWriter writer,
        CancellationToken cancellationToken)
    {
        var leaves = fields.SelectMany(Leaves).Order().ToArray();
        var arrowSchema = ArrowSchemas.ToArrowSchema(schema);
        var names = schema.Names.ToArray();
        using var batches = reader.GetRecordBatchReader(columns: leaves);
        while (true)
        {
            RecordBatch? batch;
            try
            {
                batch = await batches.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ParquetException e)
            {
                throw input.Error($"row {writer.RowCount}", $"unreadable Parquet data ({e.Message.Trim()})", e);
            }
            if (batch is null)
            {
                return;
            }
            using (batch)
            {
                var first = writer.RowCount;
                var arrays = new IArrowArray[names.Length];
                try
                {
                    for (var c = 0; c < names.Length; c++)
                    {
                        var index = batch.Schema.GetFieldIndex(names[c]);
                        arrays[c] = ArrowArrayConversion.Convert(batch.Column(index), schema[names[c]], names[c], first);
                    }
                    writer.AddRecordBatch(new RecordBatch(arrowSchema, arrays, batch.Length));
                }
                catch (RowValidationException e)
                {
                    throw input.Error($"row {e.Row}, column '{e.Column}'", e.Problem, e);
                }
            }
        }
    }

    private static IEnumerable<int> Leaves(SchemaField field) =>
        field.Children.Count == 0 ? [field.ColumnIndex] : field.Children.SelectMany(Leaves);
}
