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
        // Columns decode in parallel on Arrow's CPU pool.
        arrowProperties.UseThreads = true;
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
                await CopyAsync(input, reader, fields, schema, writer, rowGroups: null, firstRow: 0, cancellationToken).ConfigureAwait(false);
                return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Opens the Parquet reader of an import job's planner or chunk conversion, which read only the footer and their own
    /// row groups: a local file directly, a seekable stream (e.g. a blob) through ranged reads, anything else from a
    /// temporary local copy. <see cref="OpenedParquet.Dispose"/> closes the reader and deletes the copy.
    /// </summary>
    internal static async Task<OpenedParquet> OpenAsync(ImportInput input, int batchRows, CancellationToken cancellationToken, bool useThreads = false)
    {
        ImportInput.LocalCopy? local = null;
        Stream? stream = null;
        if (!input.Url.IsFile)
        {
            stream = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
            if (!stream.CanSeek)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                stream = null;
            }
        }
        if (stream is null)
        {
            local = await input.LocalFileAsync(cancellationToken).ConfigureAwait(false);
        }
        var arrowProperties = ArrowReaderProperties.GetDefault();
        arrowProperties.BatchSize = batchRows;
        arrowProperties.UseThreads = useThreads;
        try
        {
            var reader = stream is null
                ? new FileReader(local!.Path, arrowProperties: arrowProperties)
                : new FileReader(stream, arrowProperties: arrowProperties, leaveOpen: false);
            return new OpenedParquet(reader, arrowProperties, local);
        }
        catch (ParquetException e)
        {
            arrowProperties.Dispose();
            local?.Dispose();
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            throw input.Error("footer", $"not a readable Parquet file ({e.Message.Trim()})", e);
        }
    }

    /// <summary>The row count and compressed bytes of each row group, from the footer only.</summary>
    internal static IReadOnlyList<(long Rows, long Bytes)> RowGroups(FileReader reader)
    {
        var result = new List<(long, long)>(reader.NumRowGroups);
        for (var g = 0; g < reader.NumRowGroups; g++)
        {
            using var group = reader.ParquetReader.RowGroup(g);
            var metadata = group.MetaData;
            long bytes = 0;
            for (var c = 0; c < metadata.NumColumns; c++)
            {
                bytes += metadata.GetColumnChunkMetaData(c).TotalCompressedSize;
            }
            result.Add((metadata.NumRows, bytes));
        }
        return result;
    }

    /// <summary>The file's fields named <paramref name="names"/> (as a planner chose them), in that order.</summary>
    internal static List<SchemaField> Fields(ImportInput input, FileReader reader, IEnumerable<string> names)
    {
        var available = reader.SchemaManifest.SchemaFields;
        return names.Select(name => available.FirstOrDefault(f => f.Field.Name == name)
            ?? throw input.Error($"column '{name}'", $"no such column (columns: {string.Join(", ", available.Select(f => f.Field.Name))})")).ToList();
    }

    internal static (List<SchemaField> Fields, TableSchema Schema) MapSchema(ImportInput input, FileReader reader, ParquetImportOptions options)
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

    /// <summary>
    /// Streams the record batches of <paramref name="rowGroups"/> (null: all) into <paramref name="writer"/>, converted to
    /// <paramref name="schema"/>; errors name the file's row, counted from <paramref name="firstRow"/> (the first row of the
    /// first row group read).
    /// </summary>
    internal static async Task CopyAsync(ImportInput input, FileReader reader, List<SchemaField> fields, TableSchema schema, TableWriter writer,
        int[]? rowGroups, long firstRow, CancellationToken cancellationToken, Action<long, string?, string>? quarantine = null, bool readAhead = false)
    {
        if (rowGroups is { Length: 0 })
        {
            return;
        }
        var leaves = fields.SelectMany(Leaves).Order().ToArray();
        var arrowSchema = ArrowSchemas.ToArrowSchema(schema);
        var names = schema.Names.ToArray();
        using var batches = reader.GetRecordBatchReader(rowGroups: rowGroups, columns: leaves);
        // The file row of the next row read (under the skip policy the writer holds fewer rows than were read).
        var next = firstRow;
        // With readAhead the next batch is decoded on another thread while this one is converted and written.
        Task<RecordBatch?> Read() => readAhead
            ? Task.Run<RecordBatch?>(async () => await batches.ReadNextRecordBatchAsync(cancellationToken).ConfigureAwait(false), cancellationToken)
            : batches.ReadNextRecordBatchAsync(cancellationToken).AsTask()!;
        Task<RecordBatch?>? ahead = Read();
        try
        {
            while (true)
            {
                RecordBatch? batch;
                try
                {
                    batch = await ahead!.ConfigureAwait(false);
                    ahead = batch is null ? null : Read();
                }
                catch (Exception e) when (e is ParquetException || e.GetType() == typeof(Exception))
                {
                    ahead = null;
                    // Corrupt pages surface from the native batch stream as plain exceptions ("IOError: Couldn't deserialize thrift").
                    throw input.Error($"row {next}", $"unreadable Parquet data ({e.Message.Trim()})", e);
                }
                if (batch is null)
                {
                    return;
                }
                using (batch)
                {
                    CopyBatch(input, batch, next, firstRow, schema, names, arrowSchema, writer, quarantine);
                    next += batch.Length;
                }
            }
        }
        finally
        {
            if (ahead is not null)
            {
                // A batch read ahead of a failure: the reader must not be disposed under it.
                try
                {
                    (await ahead.ConfigureAwait(false))?.Dispose();
                }
                catch (Exception)
                {
                    // The failure already being reported is the one that counts.
                }
            }
        }
    }

    /// <summary>Converts one batch read from the file (its first row is file row <paramref name="next"/>) and adds it to the writer.</summary>
    private static void CopyBatch(ImportInput input, RecordBatch batch, long next, long firstRow, TableSchema schema, string[] names, Apache.Arrow.Schema arrowSchema,
        TableWriter writer, Action<long, string?, string>? quarantine)
    {
        if (quarantine is not null)
        {
            CopySkipping(batch, 0, batch.Length, next, schema, names, arrowSchema, writer, quarantine);
            return;
        }
        var arrays = new IArrowArray[names.Length];
        try
        {
            for (var c = 0; c < names.Length; c++)
            {
                arrays[c] = ArrowArrayConversion.Convert(batch.Column(batch.Schema.GetFieldIndex(names[c])), schema[names[c]], names[c], next);
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
            // The writer counts its own rows; a chunk's writer starts at the chunk's first row.
            throw input.Error($"row {firstRow + e.Row}, column '{e.Column}'", e.Problem, e);
        }
    }

    /// <summary>
    /// Skip policy: rows [<paramref name="offset"/>, +<paramref name="length"/>) of <paramref name="batch"/> (file row
    /// <paramref name="fileRow"/> on) are converted to the table's types; a row a conversion refuses is quarantined and the
    /// rows on either side of it are copied the same way. Converted rows go to the writer through
    /// <see cref="ImportWriting.AddRecordBatchLeavingOut"/>, which quarantines the rows its value checks refuse.
    /// </summary>
    private static void CopySkipping(RecordBatch batch, int offset, int length, long fileRow, TableSchema schema, string[] names, Apache.Arrow.Schema arrowSchema,
        TableWriter writer, Action<long, string?, string> quarantine)
    {
        while (length > 0)
        {
            var arrays = new IArrowArray[names.Length];
            try
            {
                for (var c = 0; c < names.Length; c++)
                {
                    var column = ArrowArrayFactory.Slice(batch.Column(batch.Schema.GetFieldIndex(names[c])), offset, length);
                    arrays[c] = ArrowArrayConversion.Convert(column, schema[names[c]], names[c], fileRow);
                }
            }
            catch (RowValidationException e) when (e.Row >= fileRow && e.Row < fileRow + length)
            {
                quarantine(e.Row, e.Column, e.Problem);
                var before = (int)(e.Row - fileRow);
                CopySkipping(batch, offset, before, fileRow, schema, names, arrowSchema, writer, quarantine);
                offset += before + 1;
                length -= before + 1;
                fileRow = e.Row + 1;
                continue;
            }
            var first = fileRow;
            ImportWriting.AddRecordBatchLeavingOut(writer, new RecordBatch(arrowSchema, arrays, length), (row, column, problem) => quarantine(first + row, column, problem));
            return;
        }
    }

    /// <summary>A Parquet reader opened by <see cref="OpenAsync"/>, with what it holds.</summary>
    internal sealed class OpenedParquet(FileReader reader, ArrowReaderProperties properties, ImportInput.LocalCopy? local) : IDisposable
    {
        public FileReader Reader { get; } = reader;

        public void Dispose()
        {
            Reader.Dispose();
            properties.Dispose();
            local?.Dispose();
        }
    }

    private static IEnumerable<int> Leaves(SchemaField field) =>
        field.Children.Count == 0 ? [field.ColumnIndex] : field.Children.SelectMany(Leaves);
}
