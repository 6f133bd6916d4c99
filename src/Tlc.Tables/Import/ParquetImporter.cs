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

    /// <summary>The Parquet reader of a local file, with errors naming the input.</summary>
    private static FileReader Open(ImportInput input, string path, int batchRows, out ArrowReaderProperties properties)
    {
        properties = ArrowReaderProperties.GetDefault();
        properties.BatchSize = batchRows;
        try
        {
            return new FileReader(path, arrowProperties: properties);
        }
        catch (ParquetException e)
        {
            properties.Dispose();
            throw input.Error("footer", $"not a readable Parquet file ({e.Message.Trim()})", e);
        }
    }

    /// <summary>
    /// Plans an import job over a Parquet file from its footer alone: the schema as the one-process import maps it, and
    /// chunks of whole row groups of up to <paramref name="chunkBytes"/> (uncompressed) each, with each chunk's first row.
    /// </summary>
    internal static async Task<(TableSchema Schema, string[] Columns, JsonObject Details, List<(int[] RowGroups, long FirstRow, long Bytes)> Chunks)> PlanAsync(
        ImportInput input, ParquetImportOptions options, long chunkBytes, CancellationToken cancellationToken)
    {
        using var local = await input.LocalFileAsync(cancellationToken).ConfigureAwait(false);
        using var reader = Open(input, local.Path, 1024, out var properties);
        using (properties)
        {
            var (fields, schema) = MapSchema(input, reader, options);
            var chunks = new List<(int[] RowGroups, long FirstRow, long Bytes)>();
            var groups = new List<int>();
            long first = 0, rows = 0, bytes = 0;
            for (var g = 0; g < reader.NumRowGroups; g++)
            {
                using var groupReader = reader.ParquetReader.RowGroup(g);
                var group = groupReader.MetaData;
                if (groups.Count > 0 && bytes + group.TotalByteSize > chunkBytes)
                {
                    chunks.Add((groups.ToArray(), first, bytes));
                    first += rows;
                    groups.Clear();
                    rows = 0;
                    bytes = 0;
                }
                groups.Add(g);
                rows += group.NumRows;
                bytes += group.TotalByteSize;
            }
            if (groups.Count > 0)
            {
                chunks.Add((groups.ToArray(), first, bytes));
            }
            var details = new JsonObject
            {
                ["row_groups"] = reader.NumRowGroups,
                ["columns"] = new JsonArray(fields.Select(f => (JsonNode?)JsonValue.Create(f.Field.Name)).ToArray()),
            };
            return (schema, fields.Select(f => f.Field.Name).ToArray(), details, chunks);
        }
    }

    /// <summary>Converts the row groups of one chunk of a planned Parquet import; errors name the file's row.</summary>
    internal static async Task ConvertRowGroupsAsync(ImportInput input, string[] columns, TableSchema schema, int[] rowGroups, long firstRow, int batchRows,
        TableWriter writer, CancellationToken cancellationToken)
    {
        using var local = await input.LocalFileAsync(cancellationToken).ConfigureAwait(false);
        using var reader = Open(input, local.Path, batchRows, out var properties);
        using (properties)
        {
            var fields = columns.Select(name => reader.SchemaManifest.SchemaFields.FirstOrDefault(f => f.Field.Name == name)
                ?? throw input.Error($"column '{name}'", "no such column: the file changed since the import was planned")).ToList();
            await CopyAsync(input, reader, fields, schema, writer, cancellationToken, rowGroups, firstRow).ConfigureAwait(false);
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
        CancellationToken cancellationToken, int[]? rowGroups = null, long firstRow = 0)
    {
        var leaves = fields.SelectMany(Leaves).Order().ToArray();
        var arrowSchema = ArrowSchemas.ToArrowSchema(schema);
        var names = schema.Names.ToArray();
        using var batches = reader.GetRecordBatchReader(rowGroups: rowGroups, columns: leaves);
        while (true)
        {
            RecordBatch? batch;
            try
            {
                batch = await batches.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ParquetException e)
            {
                throw input.Error($"row {firstRow + writer.RowCount}", $"unreadable Parquet data ({e.Message.Trim()})", e);
            }
            if (batch is null)
            {
                return;
            }
            using (batch)
            {
                var first = firstRow + writer.RowCount;
                var arrays = new IArrowArray[names.Length];
                try
                {
                    for (var c = 0; c < names.Length; c++)
                    {
                        var index = batch.Schema.GetFieldIndex(names[c]);
                        arrays[c] = ArrowArrayConversion.Convert(batch.Column(index), schema[names[c]], names[c], first);
                    }
                }
                catch (RowValidationException e)
                {
                    throw input.Error($"row {e.Row}, column '{e.Column}'", e.Problem, e);
                }
                try
                {
                    writer.AddRecordBatch(new RecordBatch(arrowSchema, arrays, batch.Length));
                }
                catch (RowValidationException e)
                {
                    // The writer counts its own rows (a chunk's staged writer starts at 0): the file's row is firstRow on.
                    throw input.Error($"row {e.Row + firstRow}, column '{e.Column}'", e.Problem, e);
                }
            }
        }
    }

    private static IEnumerable<int> Leaves(SchemaField field) =>
        field.Children.Count == 0 ? [field.ColumnIndex] : field.Children.SelectMany(Leaves);
}
