using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Configuration;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports newline-delimited JSON (see <see cref="Table.FromNdjsonAsync"/>): a first pass over a sample of lines infers
/// the columns, a second pass parses each line with System.Text.Json and appends its values to Arrow column builders.
/// </summary>
internal sealed class NdjsonImporter
{
    private readonly ImportInput _input;
    private readonly NdjsonImportOptions _options;

    private NdjsonImporter(ImportInput input, NdjsonImportOptions options)
    {
        _input = input;
        _options = options;
    }

    public static async Task<Table> ImportAsync(string pathOrUrl, NdjsonImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = new ImportInput(pathOrUrl, options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        var importer = new NdjsonImporter(input, options);
        var schema = await importer.InferSchemaAsync(cancellationToken).ConfigureAwait(false);
        var source = ImportProvenance.Source("ndjson", input.Url, options, new JsonObject { ["inference_lines"] = options.InferenceLines });
        var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, source), cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            await importer.ImportAsync(schema, writer, cancellationToken).ConfigureAwait(false);
            return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Infers the schema of a planned NDJSON import job exactly as the one-process import does.</summary>
    internal static Task<TableSchema> InferSchemaAsync(ImportInput input, NdjsonImportOptions options, CancellationToken cancellationToken) =>
        new NdjsonImporter(input, options).InferSchemaAsync(cancellationToken);

    /// <summary>
    /// Converts one line-aligned byte range of a planned NDJSON import into <paramref name="writer"/>; errors name the
    /// file and the line in the file (the range's first line plus the lines before). With <paramref name="quarantine"/>
    /// (skip policy) a bad line — not JSON, not an object, invalid UTF-8, an unknown or repeated key, a value of the
    /// wrong type, a missing required key — is left out and reported instead.
    /// </summary>
    internal static async Task ConvertRangeAsync(ImportInput input, NdjsonImportOptions options, TableSchema schema, LineRange range,
        TableWriter writer, CancellationToken cancellationToken, CsvImporter.RowQuarantine? quarantine = null)
    {
        var stream = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var window = new StreamWindow(stream, range.Start, range.End);
        var lines = new LineReader(window, range.FirstLine, skipByteOrderMark: range.Start == 0);
        await new NdjsonImporter(input, options).ImportAsync(lines, schema, writer, cancellationToken, quarantine).ConfigureAwait(false);
    }

    private async Task<TableSchema> InferSchemaAsync(CancellationToken cancellationToken)
    {
        var declared = _options.Schema;
        var order = new List<string>();
        var columns = new Dictionary<string, JsonTypeInference?>(StringComparer.Ordinal);
        var present = new Dictionary<string, long>(StringComparer.Ordinal);
        var limit = _options.InferenceLines <= 0 ? long.MaxValue : _options.InferenceLines;
        long objects = 0;
        var stream = await _input.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var lines = new LineReader(stream);
            while (objects < limit && await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                using var document = Parse(line, lines.LineNumber);
                if (document is null)
                {
                    continue;
                }
                objects++;
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (!columns.TryGetValue(property.Name, out var column))
                    {
                        column = declared?.ContainsKey(property.Name) == true ? null : new JsonTypeInference(property.Name);
                        columns[property.Name] = column;
                        order.Add(property.Name);
                        present[property.Name] = 0;
                    }
                    if (present[property.Name] == objects)
                    {
                        throw _input.Error($"line {lines.LineNumber}", $"the key '{property.Name}' appears twice");
                    }
                    present[property.Name] = objects;
                    column?.Observe(property.Value, lines.LineNumber, _input);
                }
            }
        }
        var schema = new TableSchema();
        foreach (var name in order)
        {
            if (columns[name] is { } column)
            {
                if (column.Count < objects)
                {
                    column.ObserveMissing();
                }
                schema.Add(name, column.ToSchema(_input));
            }
            else
            {
                schema.Add(name, declared![name]);
            }
        }
        foreach (var (name, column) in declared ?? new Dictionary<string, ColumnSchema>())
        {
            if (!schema.Contains(name))
            {
                schema.Add(name, column);
            }
        }
        if (schema.Count == 0)
        {
            throw _input.Error(objects == 0 ? "line 1" : null, objects == 0 ? "empty input: no JSON object lines" : "the objects have no keys");
        }
        return schema;
    }

    private async Task ImportAsync(TableSchema schema, TableWriter writer, CancellationToken cancellationToken)
    {
        var stream = await _input.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await ImportAsync(new LineReader(stream), schema, writer, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ImportAsync(LineReader lines, TableSchema schema, TableWriter writer, CancellationToken cancellationToken,
        CsvImporter.RowQuarantine? quarantine = null)
    {
        var names = schema.Names.ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            index[names[i]] = i;
        }
        var builders = names.Select(n => ColumnBuilder.Create(schema[n], n)).ToArray();
        var declared = names.Select(n => _options.Schema?.ContainsKey(n) == true).ToArray();
        var rawText = names.Select((n, c) => declared[c] && schema[n] is ScalarSchema { Kind: ScalarKind.String }).ToArray();
        var seen = new long[names.Length];
        var arrowSchema = ArrowSchemas.ToArrowSchema(schema);
        var batchRows = _options.BatchRows ?? (_options.Settings ?? TlcSettings.Current).Tables.BatchRows;
        var batchLines = new long[batchRows];
        // Skip policy: the batch's lines are kept so that, after a bad line, the builders restart from the good ones.
        var kept = quarantine is null ? null : new byte[batchRows][];
        var count = 0;
        long objects = 0;

        void AppendRow(JsonDocument document, long number, long row)
        {
            objects++;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!index.TryGetValue(property.Name, out var c))
                {
                    throw _input.Error($"line {number}", $"the key '{property.Name}' is not a column (columns: {string.Join(", ", names)}){Hint()}");
                }
                if (seen[c] == objects)
                {
                    throw _input.Error($"line {number}", $"the key '{property.Name}' appears twice");
                }
                seen[c] = objects;
                var value = property.Value;
                try
                {
                    if (rawText[c] && value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                    {
                        builders[c].Append(value.GetRawText(), row);
                    }
                    else
                    {
                        builders[c].Append(ClassNames(value, schema[names[c]]), row);
                    }
                }
                catch (RowValidationException e)
                {
                    throw _input.Error($"line {number}, column '{e.Column}'", e.Problem + (declared[c] ? "" : Hint()), e);
                }
            }
            for (var c = 0; c < names.Length; c++)
            {
                if (seen[c] != objects)
                {
                    if (!schema[names[c]].Nullable)
                    {
                        throw _input.Error($"line {number}, column '{names[c]}'",
                            $"the key is missing, but the column is {schema[names[c]].Describe()} and not nullable{(declared[c] ? "" : Hint())}");
                    }
                    builders[c].AppendNull();
                }
            }
        }

        while (await lines.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            var number = lines.LineNumber;
            try
            {
                using var document = Parse(line, number);
                if (document is null)
                {
                    continue;
                }
                try
                {
                    AppendRow(document, number, writer.RowCount + count);
                }
                catch (ImportException) when (kept is not null)
                {
                    // Some columns took the bad line's values: start the batch's builders over from its good lines.
                    foreach (var builder in builders)
                    {
                        builder.Build();
                    }
                    for (var i = 0; i < count; i++)
                    {
                        using var again = JsonDocument.Parse(kept[i]);
                        AppendRow(again, batchLines[i], writer.RowCount + i);
                    }
                    throw;
                }
            }
            catch (ImportException e) when (quarantine is not null)
            {
                quarantine(number, ColumnOf(e.Location), e.Problem);
                continue;
            }
            if (kept is not null)
            {
                kept[count] = line.ToArray();
            }
            batchLines[count++] = number;
            if (count == batchRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                Flush(builders, arrowSchema, batchLines, count, writer);
                count = 0;
            }
        }
        Flush(builders, arrowSchema, batchLines, count, writer);
    }

    /// <summary>The column an error location names (<c>line 7, column 'x'</c> → x), if any.</summary>
    private static string? ColumnOf(string? location)
    {
        const string Marker = "column '";
        var at = location?.IndexOf(Marker, StringComparison.Ordinal) ?? -1;
        return at < 0 ? null : location![(at + Marker.Length)..].TrimEnd('\'');
    }

    /// <summary>Class names (JSON strings) as .NET strings where a value map names the values, so the builder maps them.</summary>
    private static object ClassNames(JsonElement value, ColumnSchema schema) => (schema, value.ValueKind) switch
    {
        (ScalarSchema { ValueMap.Count: > 0 }, JsonValueKind.String) => value.GetString()!,
        (ListSchema { Element: ScalarSchema { ValueMap.Count: > 0 } }, JsonValueKind.Array) =>
            value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : (object?)e).ToArray(),
        _ => value,
    };

    private void Flush(ColumnBuilder[] builders, Apache.Arrow.Schema arrowSchema, long[] lines, int count, TableWriter writer)
    {
        if (count == 0)
        {
            return;
        }
        var arrays = builders.Select(b => b.Build()).ToArray();
        var first = writer.RowCount;
        try
        {
            writer.AddRecordBatch(new RecordBatch(arrowSchema, arrays, count));
        }
        catch (RowValidationException e) when (e.Row >= first && e.Row < first + count)
        {
            throw _input.Error($"line {lines[e.Row - first]}, column '{e.Column}'", e.Problem, e);
        }
    }

    /// <summary>The object on a line, or null for a blank line; anything else is an error naming the line.</summary>
    private JsonDocument? Parse(ReadOnlyMemory<byte> line, long number)
    {
        var span = line.Span;
        if (span.Trim(" \t\r"u8).IsEmpty)
        {
            return null;
        }
        if (!Utf8.IsValid(span))
        {
            var bad = FirstInvalidByte(span);
            throw _input.Error($"line {number}", $"invalid UTF-8 (byte 0x{span[bad]:X2} at column {bad + 1} of the line); the input must be UTF-8 text");
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw _input.Error($"line {number}", $"malformed JSON: {e.Message}", e);
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var kind = document.RootElement.ValueKind switch
            {
                JsonValueKind.Array => "an array",
                JsonValueKind.String => "a string",
                JsonValueKind.Number => "a number",
                JsonValueKind.True or JsonValueKind.False => "a boolean",
                _ => "null",
            };
            document.Dispose();
            throw _input.Error($"line {number}", $"expected a JSON object, got {kind}");
        }
        return document;
    }

    private static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        Utf8.ToUtf16(bytes, chars, out var read, out _, replaceInvalidSequences: false);
        return Math.Min(read, bytes.Length - 1);
    }

    private string Hint() => _options.InferenceLines <= 0
        ? ""
        : $" (columns and types were inferred from the first {_options.InferenceLines} lines; declare the column in Schema or raise InferenceLines)";
}
