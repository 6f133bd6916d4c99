using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Apache.Arrow;
using nietras.SeparatedValues;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Configuration;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a CSV file (see <see cref="Table.FromCsvAsync"/>): a first pass over a sample of records infers the column
/// types, a second pass parses every field straight into Arrow arrays with Sep and hands whole record batches to the
/// writer.
/// </summary>
internal sealed class CsvImporter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Decodes invalid UTF-8 as U+FFFD: for ranges whose invalid lines are known (the skip policy leaves them out).</summary>
    private static readonly UTF8Encoding LenientUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    private readonly ImportInput _input;
    private readonly CsvImportOptions _options;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>>? _nullValues;
    private Sep? _separator;
    private bool _planning;

    /// <summary>
    /// Invalid UTF-8 is decoded as U+FFFD instead of failing (the skip policy: the records holding it are quarantined
    /// when their chunk is converted); records holding U+FFFD are left out of type inference and the header must be valid.
    /// </summary>
    private bool _lenient;
    private SepReader? _replay;

    private CsvImporter(ImportInput input, CsvImportOptions options)
    {
        _input = input;
        _options = options;
        _separator = options.Separator is { } c ? new Sep(c) : null;
        if (options.NullValues is { Count: > 0 } nulls)
        {
            _nullValues = new HashSet<string>(nulls, StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();
        }
    }

    public static async Task<Table> ImportAsync(string pathOrUrl, CsvImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = new ImportInput(pathOrUrl, options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        var importer = new CsvImporter(input, options);
        var schema = await importer.InferSchemaAsync(cancellationToken).ConfigureAwait(false);
        var details = new JsonObject
        {
            ["separator"] = importer._separator!.Value.Separator.ToString(),
            ["inference_rows"] = options.InferenceRows,
        };
        if (options.NullValues is { Count: > 0 } nulls)
        {
            details["null_values"] = new JsonArray(nulls.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        }
        var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, ImportProvenance.Source("csv", input.Url, options, details)), cancellationToken)
            .ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            await importer.ImportAsync(schema, writer, cancellationToken).ConfigureAwait(false);
            return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Plans an import job over a CSV file: infers the schema as <see cref="ImportAsync(string, CsvImportOptions, CancellationToken)"/>
    /// does and cuts the file into record-aligned byte ranges of about <paramref name="chunkBytes"/> (one pass, no parsing).
    /// With <paramref name="skipInvalidUtf8"/> (the skip policy) invalid UTF-8 in the inference sample does not fail the plan:
    /// those records are left out of inference, and their chunk quarantines them.
    /// </summary>
    internal static async Task<(TableSchema Schema, char Separator, IReadOnlyList<CsvSegment> Segments)> PlanAsync(
        ImportInput input, CsvImportOptions options, long chunkBytes, CancellationToken cancellationToken, bool skipInvalidUtf8 = false)
    {
        var importer = new CsvImporter(input, options) { _planning = true, _lenient = skipInvalidUtf8 };
        var schema = await importer.InferSchemaAsync(cancellationToken).ConfigureAwait(false);
        var stream = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var segments = await Task.Run(() => CsvRecordBoundaries.Split(stream, chunkBytes), cancellationToken).ConfigureAwait(false);
            return (schema, importer._separator!.Value.Separator, segments);
        }
    }

    /// <summary>
    /// Converts one byte range of a planned CSV import (the first range holds the header) into <paramref name="writer"/>;
    /// a bad record is an <see cref="ImportException"/> naming the file and its line, as in the one-process import. With
    /// <paramref name="parallelism"/> above one, a local file's range is cut again and parsed on that many threads. With
    /// <paramref name="quarantine"/> (the skip policy) bad records go there and are left out, values the writer refuses
    /// (a declared range, a value map) included: the range is first scanned for invalid UTF-8, and a range that has some
    /// is parsed in one pass that leaves out the records on those lines.
    /// </summary>
    internal static async Task ConvertSegmentAsync(ImportInput input, CsvImportOptions options, TableSchema schema, CsvSegment segment,
        TableWriter writer, CancellationToken cancellationToken, RowQuarantine? quarantine = null, int parallelism = 1)
    {
        var importer = new CsvImporter(input, options);
        Dictionary<long, string>? invalidLines = null;
        if (quarantine is not null)
        {
            var scan = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (scan.ConfigureAwait(false))
            {
                using var range = new StreamWindow(scan, segment.Start, segment.End);
                invalidLines = await Utf8Scan.InvalidLinesAsync(range, segment.FirstLine, segment.Start, cancellationToken).ConfigureAwait(false);
            }
            if (invalidLines.Count == 0)
            {
                invalidLines = null;
            }
            importer._lenient = invalidLines is not null;
        }
        if (invalidLines is null && parallelism > 1 && segment.Length >= ParallelThreshold / 4 && input.Url.IsFile && File.Exists(input.Url.LocalPath))
        {
            await importer.ImportParallelAsync(input.Url.LocalPath, schema, writer, cancellationToken, segment.Start, segment.End, segment.FirstLine, parallelism, quarantine)
                .ConfigureAwait(false);
            return;
        }
        var first = segment.Start == 0;
        var stream = await input.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var window = new StreamWindow(stream, segment.Start, segment.End);
            using var text = new StreamReader(window, invalidLines is null ? StrictUtf8 : LenientUtf8, detectEncodingFromByteOrderMarks: first, bufferSize: 1 << 16);
            using var reader = importer.OpenReader(text);
            var names = first ? importer.ReadHeader(reader) : [.. schema.Names];
            importer.ParseRecords(reader, first, segment.FirstLine, schema, names, batch => importer.Write(batch, writer, quarantine), cancellationToken, quarantine,
                invalidLines);
        }
        catch (DecoderFallbackException e)
        {
            throw await input.InvalidUtf8ErrorAsync(e, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Reads the header and the inference sample; fixes the separator for the import pass.</summary>
    private async Task<TableSchema> InferSchemaAsync(CancellationToken cancellationToken)
    {
        TableSchema? schema = null;
        var again = false;
        await RunAsync(reader =>
        {
            var names = ReadHeader(reader);
            if (_separator is null)
            {
                _separator = reader.Spec.Sep;
                if (names.Length == 1 && _separator.Value.Separator != ',')
                {
                    // A header of one column has no separator to detect: read it (and the records) with ','.
                    _separator = new Sep(',');
                    again = true;
                    return;
                }
            }
            schema = Infer(reader, names, cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
        if (again)
        {
            await RunAsync(reader => schema = Infer(reader, ReadHeader(reader), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        return schema!;
    }

    /// <summary>Opens the input from its start and runs <paramref name="pass"/> over it; invalid UTF-8 becomes an error naming its line.</summary>
    private async Task RunAsync(Action<SepReader> pass, CancellationToken cancellationToken)
    {
        var stream = await _input.OpenAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var text = new StreamReader(stream, _lenient ? LenientUtf8 : StrictUtf8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
            using var reader = OpenReader(text);
            pass(reader);
        }
        catch (DecoderFallbackException e)
        {
            throw await _input.InvalidUtf8ErrorAsync(e, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A Sep reader over <paramref name="text"/>: records with unescaped fields, our own field-count checks.</summary>
    private SepReader OpenReader(TextReader text) => Sep.Reader(o => o with
    {
        Sep = _separator,
        HasHeader = false,
        Unescape = true,
        DisableColCountCheck = true,
        CultureInfo = CultureInfo.InvariantCulture,
    }).From(text);

    /// <summary>
    /// Reads the header row and returns the column names. Without a header (<see cref="CsvImportOptions.HasHeader"/>) the
    /// first row is a record: it is read only to count its fields and is handed to the next <see cref="NextRecord"/> again.
    /// </summary>
    private string[] ReadHeader(SepReader reader)
    {
        var hasHeader = _options.HasHeader;
        if (!reader.MoveNext() || reader.Current is { ColCount: 1 } only && only.Span.IsEmpty)
        {
            throw _input.Error("line 1", hasHeader ? "empty file: no header row" : "empty file: no records");
        }
        var header = reader.Current;
        if (hasHeader && _lenient && header.Span.Contains('\uFFFD'))
        {
            throw _input.Error("line 1", "the header holds invalid UTF-8 (or U+FFFD); the input must be UTF-8 text");
        }
        var given = _options.ColumnNames;
        if (given is not null && given.Count != header.ColCount)
        {
            throw _input.Error("line 1", hasHeader
                ? $"the column names given are {given.Count}, but the header has {header.ColCount} fields"
                : $"the column names given are {given.Count}, but the first record has {header.ColCount} fields");
        }
        var names = new string[header.ColCount];
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var name = given?[i] ?? (hasHeader ? header[i].ToString() : "");
            if (string.IsNullOrWhiteSpace(name))
            {
                name = $"column_{i + 1}";
            }
            if (!seen.TryAdd(name, i))
            {
                throw _input.Error(given is null ? "line 1" : "column names", $"duplicate column name '{name}' (columns {seen[name] + 1} and {i + 1})");
            }
            names[i] = name;
        }
        foreach (var declared in _options.Schema?.Keys ?? [])
        {
            if (!seen.ContainsKey(declared))
            {
                throw _input.Error("line 1", $"the schema declares column '{declared}', which the {(hasHeader && given is null ? "header lacks" : "columns lack")} (columns: {string.Join(", ", names)})");
            }
        }
        if (!hasHeader)
        {
            _replay = reader;
        }
        return names;
    }

    /// <summary>True once for the reader whose current row <see cref="ReadHeader"/> read as a record (no header): it is the first record.</summary>
    private bool TakeReplay(SepReader reader)
    {
        if (!ReferenceEquals(_replay, reader))
        {
            return false;
        }
        _replay = null;
        return true;
    }

    /// <summary>
    /// Moves to the next record, skipping blank lines; a record with the wrong number of fields, or one that ends inside
    /// quotes (Sep reads every quote as opening or closing one, so an odd count means the quoted field ran to the end of
    /// the input: a truncated file or a stray quote), is an error.
    /// </summary>
    private bool NextRecord(SepReader reader, int fields, out int line, Func<int, long>? fileLine = null, RowQuarantine? quarantine = null)
    {
        while (TakeReplay(reader) || reader.MoveNext())
        {
            var row = reader.Current;
            line = row.LineNumberFrom;
            var span = row.Span;
            var unterminated = span.Contains('"') && span.Count('"') % 2 == 1;
            if (row.ColCount == fields && !unterminated)
            {
                return true;
            }
            if (span.IsEmpty)
            {
                fileLine?.Invoke(line);
                continue;
            }
            var problem = unterminated
                ? "a quoted field is not closed before the end of the input (a truncated file, or a stray quote)"
                : $"{row.ColCount} field{(row.ColCount == 1 ? "" : "s")}, but {(_options.HasHeader ? "the header has" : "the columns are")} {fields}";
            var at = fileLine?.Invoke(line) ?? line;
            if (quarantine is null)
            {
                throw _input.Error($"line {at}", problem);
            }
            quarantine(at, null, problem);
        }
        line = 0;
        return false;
    }

    private bool IsNull(ReadOnlySpan<char> text) => text.IsEmpty || (_nullValues is { } nulls && nulls.Contains(text));

    private TableSchema Infer(SepReader reader, string[] names, CancellationToken cancellationToken)
    {
        var declared = _options.Schema;
        var inference = names.Select(n => declared?.ContainsKey(n) == true ? null : new TextTypeInference()).ToArray();
        var limit = _options.InferenceRows <= 0 ? long.MaxValue : _options.InferenceRows;
        // Planning a job, ragged records are left to the chunk that holds them (an error or a quarantined row there).
        RowQuarantine? ignore = _planning ? (_, _, _) => { } : null;
        for (long records = 0; records < limit && NextRecord(reader, names.Length, out _, null, ignore); records++)
        {
            if ((records & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            var row = reader.Current;
            if (_lenient && row.Span.Contains('\uFFFD'))
            {
                // Invalid UTF-8 (skip policy): the record is quarantined by its chunk, its values say nothing of the types.
                continue;
            }
            for (var c = 0; c < inference.Length; c++)
            {
                if (inference[c] is not { } column)
                {
                    continue;
                }
                var col = row[c];
                if (IsNull(col.Span))
                {
                    column.ObserveNull();
                }
                else
                {
                    column.Observe(col);
                }
            }
        }
        var schema = new TableSchema();
        for (var c = 0; c < names.Length; c++)
        {
            schema.Add(names[c], inference[c]?.ToSchema() ?? declared![names[c]]);
        }
        return schema;
    }

    /// <summary>Receives a record the skip policy leaves out: its line, the column at fault (null for the record as a whole) and why.</summary>
    internal delegate void RowQuarantine(long line, string? column, string problem);

    /// <summary>A parsed record batch, the file line of each of its rows and the rented memory it is built on.</summary>
    private sealed record ParsedBatch(RecordBatch Batch, BatchBuffers Buffers);

    /// <summary>Files from this size are cut into record-aligned ranges parsed in parallel.</summary>
    private const long ParallelThreshold = 8L << 20;

    /// <summary>Parses every record and writes them: in parallel over record-aligned byte ranges for local files, else in one pass.</summary>
    private async Task ImportAsync(TableSchema schema, TableWriter writer, CancellationToken cancellationToken)
    {
        if (Environment.ProcessorCount > 1 && _input.Url.IsFile && File.Exists(_input.Url.LocalPath)
            && new FileInfo(_input.Url.LocalPath).Length >= ParallelThreshold)
        {
            await ImportParallelAsync(_input.Url.LocalPath, schema, writer, cancellationToken).ConfigureAwait(false);
            return;
        }
        await RunAsync(reader =>
        {
            var names = ReadHeader(reader);
            ParseRecords(reader, true, 1, schema, names, batch => Write(batch, writer), cancellationToken);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Cuts the file (or its range [<paramref name="start"/>, <paramref name="end"/>), starting at a record on line
    /// <paramref name="firstLine"/>) into record-aligned ranges (<see cref="CsvRecordBoundaries"/>), parses up to one range
    /// per thread ahead on the thread pool and writes the ranges' batches in file order; memory stays at a few ranges
    /// whatever the file size. The first error in file order is the one reported; under the skip policy the quarantined
    /// records are reported in file order too.
    /// </summary>
    private async Task ImportParallelAsync(string path, TableSchema schema, TableWriter writer, CancellationToken cancellationToken,
        long start = 0, long end = -1, long firstLine = 1, int parallelism = 0, RowQuarantine? quarantine = null)
    {
        if (end < 0)
        {
            end = new FileInfo(path).Length;
        }
        var threads = parallelism > 0 ? parallelism : Environment.ProcessorCount;
        var target = Math.Clamp((end - start) / (threads * 4L), 1L << 20, 16L << 20);
        IReadOnlyList<CsvSegment> segments;
        using (var scan = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        using (var window = new StreamWindow(scan, start, end))
        {
            segments = CsvRecordBoundaries.Split(window, target)
                .Select(s => new CsvSegment(s.Start + start, s.End + start, s.FirstLine + firstLine - 1)).ToList();
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var window2 = threads + 1;
        var tasks = new Task<ParsedSegment>[segments.Count];
        Task<ParsedSegment> Start(int i) => Task.Run(() => ParseSegment(path, segments[i], segments[i].Start == 0, schema, quarantine is not null, stop.Token), stop.Token);
        for (var i = 0; i < Math.Min(window2, tasks.Length); i++)
        {
            tasks[i] = Start(i);
        }
        try
        {
            for (var i = 0; i < tasks.Length; i++)
            {
                ParsedSegment parsed;
                try
                {
                    parsed = await tasks[i].ConfigureAwait(false);
                }
                catch (DecoderFallbackException e)
                {
                    throw await _input.InvalidUtf8ErrorAsync(e, cancellationToken).ConfigureAwait(false);
                }
                if (i + window2 < tasks.Length)
                {
                    tasks[i + window2] = Start(i + window2);
                }
                foreach (var batch in parsed.Batches)
                {
                    Write(batch, writer, quarantine);
                }
                foreach (var (line, column, problem) in parsed.Quarantined)
                {
                    quarantine!(line, column, problem);
                }
                tasks[i] = Task.FromResult(ParsedSegment.Empty);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var task in tasks.Where(t => t is not null))
            {
                try
                {
                    await task.ConfigureAwait(false);
                }
                catch (Exception)
                {
                    // Ranges after the first failure (or cancelled ones): their errors are not reported.
                }
            }
        }
    }

    /// <summary>What one range of a parallel import parsed: its batches and (skip policy) the records it left out.</summary>
    private sealed record ParsedSegment(List<ParsedBatch> Batches, List<(long Line, string? Column, string Problem)> Quarantined)
    {
        public static ParsedSegment Empty { get; } = new([], []);
    }

    private ParsedSegment ParseSegment(string path, CsvSegment segment, bool first, TableSchema schema, bool skip, CancellationToken cancellationToken)
    {
        var result = new ParsedSegment([], []);
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        using var window = new StreamWindow(file, segment.Start, segment.End);
        using var text = new StreamReader(window, StrictUtf8, detectEncodingFromByteOrderMarks: first, bufferSize: 1 << 16);
        using var reader = OpenReader(text);
        var names = first ? ReadHeader(reader) : [.. schema.Names];
        ParseRecords(reader, first, segment.FirstLine, schema, names, result.Batches.Add, cancellationToken,
            skip ? (line, column, problem) => result.Quarantined.Add((line, column, problem)) : null);
        return result;
    }

    // The hot loop: compiled optimized at once, so that a single large import does not start in unoptimized code.
    // headerInWindow: the reader started at the file's start (Sep's line numbers are the file's); otherwise firstLine is
    // the file line the reader's first row starts on.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ParseRecords(SepReader reader, bool headerInWindow, long firstLine, TableSchema schema, string[] names, Action<ParsedBatch> emit,
        CancellationToken cancellationToken, RowQuarantine? quarantine = null, Dictionary<long, string>? invalidLines = null)
    {
        var batchRows = _options.BatchRows ?? (_options.Settings ?? TlcSettings.Current).Tables.BatchRows;
        var columns = names.Select(n => TextColumn.Create(schema[n], batchRows)).ToArray();
        var nullable = names.Select(n => schema[n].Nullable).ToArray();
        var arrowSchema = ArrowSchemas.ToArrowSchema(schema);
        var lines = BatchBuffers.RentLines(batchRows);
        var count = 0;
        // From the file's start Sep's line numbers are the file's; a window without the header counts its own lines from
        // firstLine: each row (blank ones included) spans one line plus the newlines inside its quoted fields.
        var nextLine = firstLine;
        long FileLine(int sepLine)
        {
            if (headerInWindow)
            {
                return sepLine;
            }
            var at = nextLine;
            nextLine += 1 + reader.Current.Span.Count('\n');
            return at;
        }
        Func<int, long> fileLine = FileLine;
        try
        {
            while (NextRecord(reader, columns.Length, out var sepLine, fileLine, quarantine))
            {
                var line = FileLine(sepLine);
                var row = reader.Current;
                if (invalidLines is not null && InvalidUtf8(invalidLines, line, row.Span) is { } invalid)
                {
                    // Skip policy: nothing of the record was appended yet.
                    quarantine!(line, null, invalid);
                    continue;
                }
                string? badColumn = null;
                string? problem = null;
                for (var c = 0; c < columns.Length; c++)
                {
                    var col = row[c];
                    var span = col.Span;
                    if (badColumn is not null)
                    {
                        // The rest of a quarantined record: placeholders, sliced off below.
                        columns[c].AppendNull();
                    }
                    else if (IsNull(span))
                    {
                        if (!nullable[c])
                        {
                            problem = $"empty value, but the column is {schema[names[c]].Describe()} and not nullable{Hint(names[c])}";
                            badColumn = names[c];
                        }
                        columns[c].AppendNull();
                    }
                    else if (!columns[c].TryAppend(span))
                    {
                        problem = columns[c].Problem(span) + Hint(names[c]);
                        badColumn = names[c];
                        columns[c].AppendNull();
                    }
                    if (badColumn is not null && quarantine is null)
                    {
                        throw _input.Error($"line {line}, column '{badColumn}'", problem!);
                    }
                }
                if (badColumn is not null)
                {
                    // Skip policy: the record goes to the quarantine; the rows before it leave as a batch without it.
                    quarantine!(line, badColumn, problem!);
                    var built = Build(columns, arrowSchema, lines, count + 1);
                    if (count > 0)
                    {
                        var arrays = Enumerable.Range(0, columns.Length).Select(c => ArrowArrayFactory.Slice(built.Batch.Column(c), 0, count)).ToArray();
                        emit(new ParsedBatch(new RecordBatch(arrowSchema, arrays, count), built.Buffers));
                    }
                    else
                    {
                        built.Buffers.Release();
                    }
                    lines = BatchBuffers.RentLines(batchRows);
                    count = 0;
                    continue;
                }
                lines[count++] = line;
                if (count == batchRows)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    emit(Build(columns, arrowSchema, lines, count));
                    lines = BatchBuffers.RentLines(batchRows);
                    count = 0;
                }
            }
            if (count > 0)
            {
                emit(Build(columns, arrowSchema, lines, count));
            }
            else
            {
                BatchBuffers.ReturnLines(lines);
            }
        }
        finally
        {
            foreach (var column in columns)
            {
                column.Release();
            }
        }
    }

    private static ParsedBatch Build(TextColumn[] columns, Apache.Arrow.Schema arrowSchema, long[] lines, int count)
    {
        var buffers = new BatchBuffers();
        buffers.TakeLines(lines);
        var arrays = new IArrowArray[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            arrays[c] = columns[c].Build(buffers);
        }
        return new ParsedBatch(new RecordBatch(arrowSchema, arrays, count), buffers);
    }

    /// <summary>The problem of the first line of a record (starting on <paramref name="line"/>) that holds invalid UTF-8, if one does.</summary>
    private static string? InvalidUtf8(Dictionary<long, string> invalidLines, long line, ReadOnlySpan<char> record)
    {
        var lines = 1 + record.Count('\n');
        for (var l = line; l < line + lines; l++)
        {
            if (invalidLines.TryGetValue(l, out var problem))
            {
                return problem;
            }
        }
        return null;
    }

    /// <summary>
    /// Writes a parsed batch and frees it (under the skip policy, <paramref name="quarantine"/>, rows the writer refuses
    /// for their value go there instead): the writer copies it into the chunk file at once, so its rented buffers go
    /// back to their pools here (the next batches reuse them) and any native buffer is released now rather than by a
    /// finalizer (which kept a core busy and let memory pile up).
    /// </summary>
    private void Write(ParsedBatch parsed, TableWriter writer, RowQuarantine? quarantine = null)
    {
        var first = writer.RowCount;
        try
        {
            if (quarantine is not null)
            {
                var lines = parsed.Buffers.Lines;
                ImportWriting.AddRecordBatchLeavingOut(writer, parsed.Batch, (row, column, problem) => quarantine(lines[row], column, problem));
            }
            else
            {
                writer.AddRecordBatch(parsed.Batch);
            }
        }
        catch (RowValidationException e) when (e.Row >= first && e.Row < first + parsed.Batch.Length)
        {
            throw _input.Error($"line {parsed.Buffers.Lines[e.Row - first]}, column '{e.Column}'", e.Problem, e);
        }
        finally
        {
            parsed.Batch.Dispose();
            parsed.Buffers.Release();
        }
    }

    /// <summary>For an inferred column: how to get past a value the sample did not foresee.</summary>
    private string Hint(string column) => _options.Schema?.ContainsKey(column) == true
        ? ""
        : _options.InferenceRows <= 0
            ? " (inferred from every record)"
            : $" (the type was inferred from the first {_options.InferenceRows} records; declare the column in Schema or raise InferenceRows)";
}
