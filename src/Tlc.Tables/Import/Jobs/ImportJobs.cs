using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import.Jobs;

/// <summary>
/// The table-engine side of import jobs: a planner that cuts a source into chunks that convert independently (in the
/// client, reading the source once), the conversion of one chunk into one staged Arrow chunk file (in a worker), and
/// the object file that publishes the committed chunks (in the job grain, metadata only). Converting every chunk and
/// publishing gives the same table (same content hash) as the one-process importer.
/// </summary>
public static partial class ImportJobs
{
    /// <summary>The default chunk size: source bytes per chunk.</summary>
    public const long DefaultChunkBytes = 16L << 20;

    /// <summary>The default chunk size of COCO imports: images per chunk.</summary>
    public const int DefaultImagesPerChunk = 1000;

    /// <summary>
    /// Plans a CSV import: resolves the target table (under <see cref="IfExists.Reuse"/> an existing table is returned
    /// instead, as null spec), infers the schema from the first records and cuts the file at record boundaries.
    /// </summary>
    /// <returns>The plan, or the existing table when <see cref="ImportOptions.IfExists"/> is <see cref="IfExists.Reuse"/> and it exists.</returns>
    public static Task<(ImportPlan? Plan, Table? Existing)> PlanCsvAsync(string source, CsvImportOptions options, string jobId,
        ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default) =>
        PlanAsync(source, options, jobOptions, cancellationToken, async (input, table, job) =>
    {
        var (schema, separator, segments) = await CsvImporter.PlanAsync(input, options, job.ChunkBytes, cancellationToken,
            skipInvalidUtf8: job.ErrorPolicy == ImportErrorPolicy.Skip).ConfigureAwait(false);
        var details = new JsonObject { ["separator"] = separator.ToString(), ["inference_rows"] = options.InferenceRows };
        if (options.NullValues is { Count: > 0 } nulls)
        {
            details["null_values"] = new JsonArray(nulls.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        }
        if (!options.HasHeader)
        {
            details["header"] = false;
        }
        if (options.ColumnNames is { } names)
        {
            details["column_names"] = new JsonArray(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());
        }
        var conversion = new JsonObject
        {
            ["display"] = source,
            ["separator"] = separator.ToString(),
            ["null_values"] = new JsonArray((options.NullValues ?? []).Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["header"] = options.HasHeader,
            ["column_names"] = options.ColumnNames is { } given ? new JsonArray(given.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()) : null,
            ["source"] = ImportProvenance.Source("csv", input.Url, options, details),
        };
        return Spec("csv", jobId, input.Url, table, schema, conversion, options, job, Ranges(segments.Select(x => (x.Start, x.End, x.FirstLine))));
    });

    /// <summary>
    /// Resolves the target table (under <see cref="IfExists.Reuse"/> an existing one is returned instead of a spec) and
    /// runs the format's planner for it.
    /// </summary>
    private static async Task<(ImportPlan? Plan, Table? Existing)> PlanAsync(string source, ImportOptions options, ImportJobOptions? jobOptions,
        CancellationToken cancellationToken, Func<ImportInput, Url, ImportJobOptions, Task<ImportPlan>> plan)
    {
        ArgumentNullException.ThrowIfNull(options);
        var input = new ImportInput(source, options);
        var target = await ResolveTargetAsync(options, cancellationToken).ConfigureAwait(false);
        return target.Existing is { } existing ? (null, existing) : (await plan(input, target.Url, jobOptions ?? new ImportJobOptions()).ConfigureAwait(false), null);
    }

    /// <summary>
    /// The spec every format shares: <paramref name="conversion"/> (the format's settings and <c>source</c> provenance)
    /// gains the input schema, the weight column flag and the batch size; the table schema is the input schema with the
    /// weight column.
    /// </summary>
    private static ImportPlan Spec(string format, string jobId, Url source, Url table, TableSchema schema, JsonObject conversion, ImportOptions options,
        ImportJobOptions jobOptions, IEnumerable<ImportChunkPlan> chunks)
    {
        var settings = options.Settings ?? TlcSettings.Current;
        conversion["batch_rows"] = options.BatchRows ?? settings.Tables.BatchRows;
        conversion["add_weight_column"] = options.AddWeightColumn;
        conversion["input_schema"] = schema.ToJson();
        var plans = chunks.ToArray();
        var spec = new ImportJobSpec
        {
            JobId = jobId,
            Items = plans.Length,
            Bytes = plans.Sum(c => c.Bytes),
            Format = format,
            SourceUrl = source.Value,
            TableUrl = table.Value,
            SchemaJson = TableWriter.WithWeightColumn(schema, options.AddWeightColumn).ToJson().ToJsonString(),
            ConversionJson = conversion.ToJsonString(),
            Description = options.Description,
            ErrorPolicy = jobOptions.ErrorPolicy,
            MaxAttempts = jobOptions.MaxAttempts,
            LeaseDuration = jobOptions.LeaseDuration,
            Submitted = (options.TimeProvider ?? TimeProvider.System).GetUtcNow(),
            Compression = settings.Tables.Compression,
        };
        return new ImportPlan(spec, plans);
    }

    /// <summary>
    /// Converts chunk <paramref name="chunk"/> of <paramref name="spec"/> into one staged chunk file of the table folder,
    /// named for <paramref name="writeId"/> (unique to chunk and attempt). A bad row is not thrown: it comes back as the
    /// chunk's error (naming file and line/row) and nothing stays staged; I/O failures are thrown (the attempt is retried).
    /// <paramref name="parallelism"/> threads parse the chunk where the format and the store allow (CSV on local disk;
    /// Parquet decodes columns in parallel).
    /// </summary>
    public static async Task<ImportChunkConversion> ConvertAsync(ImportJobSpec spec, ImportChunkPlan chunk, string writeId,
        UrlAdapterRegistry adapters, TlcOptions? settings = null, CancellationToken cancellationToken = default, int parallelism = 1)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(chunk);
        ArgumentNullException.ThrowIfNull(adapters);
        var conversion = JsonNode.Parse(spec.ConversionJson)!.AsObject();
        var descriptor = JsonNode.Parse(chunk.Descriptor)!.AsObject();
        var tableUrl = new Url(spec.TableUrl);
        var inputSchema = TableSchema.FromJson(conversion["input_schema"], $"import job {spec.JobId} schema");
        var writerOptions = new TableWriterOptions
        {
            Schema = inputSchema,
            TableUrl = tableUrl,
            AddWeightColumn = (bool)conversion["add_weight_column"]!,
            BatchRows = (int)conversion["batch_rows"]!,
            Compression = spec.Compression,
            Adapters = adapters,
            Settings = settings,
        };
        var writer = TableWriter.CreateStaging(writerOptions, tableUrl, writeId, await adapters.AliasesForAsync(tableUrl, cancellationToken).ConfigureAwait(false));
        await using var quarantine = spec.ErrorPolicy == ImportErrorPolicy.Skip
            ? new QuarantineWriter(TableWriter.CreateStaging(new TableWriterOptions
            {
                Schema = QuarantineSchema, TableUrl = QuarantineUrl(spec), AddWeightColumn = false, Compression = spec.Compression, Adapters = adapters, Settings = settings,
            }, QuarantineUrl(spec), writeId), (string)conversion["display"]!)
            : null;
        await using (writer.ConfigureAwait(false))
        {
            try
            {
                var leaveOut = quarantine is null ? null : new CsvImporter.RowQuarantine((line, column, problem) => quarantine.Add(line, null, column, problem));
                // Vision formats leave out whole images: row is the image's index in the source order (first plus the chunk's index).
                ImageFiles.ImageQuarantine? LeaveOutImages(int first) => quarantine is null ? null
                    : (index, error, line, column) => quarantine.Add(error.File, line, first + index, column, error.Problem);
                var convert = spec.Format switch
                {
                    "csv" => ConvertCsvAsync(conversion, descriptor, inputSchema, writer, adapters, settings, leaveOut, parallelism, cancellationToken),
                    "ndjson" => ConvertNdjsonAsync(conversion, descriptor, inputSchema, writer, adapters, settings, leaveOut, cancellationToken),
                    "parquet" => ConvertParquetAsync(conversion, descriptor, inputSchema, writer, adapters, settings, parallelism,
                        quarantine is null ? null : (row, column, problem) => quarantine.Add(null, row, column, problem), cancellationToken),
                    "coco" => ConvertCocoAsync(conversion, descriptor, inputSchema, writer, adapters, settings, LeaveOutImages(0), cancellationToken),
                    "yolo" => ConvertYoloAsync(conversion, descriptor, inputSchema, writer, adapters, settings,
                        LeaveOutImages((int)descriptor["first_file"]!), cancellationToken),
                    "image-folder" => ConvertImageFolderAsync(conversion, descriptor, inputSchema, writer, adapters,
                        LeaveOutImages((int)descriptor["first_file"]!), cancellationToken),
                    // Hugging Face leaves out rows of a shard: row is the 0-based row of the shard, file the shard.
                    "hf" => ConvertHuggingFaceAsync(conversion, descriptor, writer, adapters,
                        quarantine is null ? null : (shard, row, column, problem) => quarantine.Add(shard, null, row, column, problem), cancellationToken),
                    _ => throw new NotSupportedException($"Import job {spec.JobId}: format '{spec.Format}' cannot be converted in chunks."),
                };
                await convert.ConfigureAwait(false);
            }
            catch (ImportException e)
            {
                return new ImportChunkConversion(null, 0, e.Message);
            }
            var file = Single(writer.CompleteStaging(), spec, chunk);
            var quarantined = quarantine is null ? null : Single(quarantine.Complete(), spec, chunk);
            return new ImportChunkConversion(file, file?.Rows ?? 0, null) { Quarantine = quarantined };
        }
    }

    /// <summary>The columns of a quarantine table: where each left-out row was and why.</summary>
    public static TableSchema QuarantineSchema { get; } = new()
    {
        ["file"] = new StringSchema(),
        ["line"] = new Int64Schema { Nullable = true },
        ["row"] = new Int64Schema { Nullable = true },
        ["column"] = new StringSchema { Nullable = true },
        ["reason"] = new StringSchema(),
    };

    /// <summary>Where the quarantine table of an import goes: beside the table, named <c>&lt;table&gt;-quarantine</c>.</summary>
    public static Url QuarantineUrl(ImportJobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var table = new Url(spec.TableUrl);
        return table.Parent.Join($"{table.Name}-quarantine");
    }

    /// <summary>The quarantine table of an import under the skip policy: the committed chunks' quarantine files in chunk order.</summary>
    public static TableObject BuildQuarantineObject(ImportJobSpec spec, IEnumerable<ImportChunkCommit> commits, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(commits);
        var chunks = commits.Where(c => c.QuarantinedRows > 0)
            .Select(c => new ChunkInfo { Url = c.QuarantineUrl!, Rows = c.QuarantinedRows, Bytes = c.QuarantineBytes, Batches = [.. c.QuarantineBatches] });
        return SourceObject(QuarantineUrl(spec), chunks, now, $"Rows left out of {spec.TableUrl} by import job {spec.JobId} (error policy skip)",
            QuarantineSchema.ToJson(), source: null, new() { ["import_job"] = spec.JobId, ["quarantine_of"] = spec.TableUrl });
    }

    /// <summary>Chunks over record-aligned byte ranges: descriptors <c>{"start":…,"end":…,"first_line":…}</c>.</summary>
    private static IEnumerable<ImportChunkPlan> Ranges(IEnumerable<(long Start, long End, long FirstLine)> ranges) =>
        ranges.Select((r, i) => new ImportChunkPlan(i,
            new JsonObject { ["start"] = r.Start, ["end"] = r.End, ["first_line"] = r.FirstLine }.ToJsonString(), r.End - r.Start));

    private static async Task ConvertCsvAsync(JsonObject conversion, JsonObject descriptor, TableSchema schema, TableWriter writer,
        UrlAdapterRegistry adapters, TlcOptions? settings, CsvImporter.RowQuarantine? quarantine, int parallelism, CancellationToken cancellationToken)
    {
        var options = new CsvImportOptions
        {
            Separator = ((string)conversion["separator"]!)[0],
            NullValues = conversion["null_values"]!.AsArray().Select(n => (string)n!).ToList(),
            // Absent in jobs planned before these settings existed: a header, its own names.
            HasHeader = (bool?)conversion["header"] ?? true,
            ColumnNames = conversion["column_names"] is JsonArray names ? [.. names.Select(n => (string)n!)] : null,
            Adapters = adapters,
            Settings = settings,
            BatchRows = (int)conversion["batch_rows"]!,
        };
        var input = new ImportInput((string)conversion["display"]!, options);
        var segment = new CsvSegment((long)descriptor["start"]!, (long)descriptor["end"]!, (long)descriptor["first_line"]!);
        await CsvImporter.ConvertSegmentAsync(input, options, schema, segment, writer, cancellationToken, quarantine, parallelism).ConfigureAwait(false);
    }

    private static ChunkInfo? Single(IReadOnlyList<ChunkInfo> files, ImportJobSpec spec, ImportChunkPlan chunk) => files.Count switch
    {
        0 => null,
        1 => files[0],
        _ => throw new InvalidOperationException($"Import job {spec.JobId}, chunk {chunk.Index}: {files.Count} chunk files staged, expected one."),
    };

    /// <summary>
    /// The object file that publishes an import: the committed chunks' files in chunk order, the schema and provenance
    /// of the plan. Metadata only: no chunk is read or copied.
    /// </summary>
    public static TableObject BuildObject(ImportJobSpec spec, IEnumerable<ImportChunkCommit> commits, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(commits);
        var conversion = JsonNode.Parse(spec.ConversionJson)!.AsObject();
        var chunks = commits.Where(c => c.Rows > 0)
            .Select(c => new ChunkInfo { Url = c.ChunkUrl!, Rows = c.Rows, Bytes = c.Bytes, Batches = [.. c.Batches] });
        return SourceObject(new Url(spec.TableUrl), chunks, now, spec.Description, JsonNode.Parse(spec.SchemaJson)!.AsObject(),
            conversion["source"]?.DeepClone().AsObject(), new() { ["import_job"] = spec.JobId });
    }

    /// <summary>The object file of a source table at <paramref name="url"/> made of staged chunk files (metadata only).</summary>
    private static TableObject SourceObject(Url url, IEnumerable<ChunkInfo> chunks, DateTimeOffset now, string? description, JsonObject schema,
        JsonObject? source, Dictionary<string, string> properties)
    {
        var layout = TableLayout.Parse(url);
        var list = chunks.ToList();
        return new TableObject
        {
            Id = Guid.NewGuid().ToString("N")[..16],
            Name = url.Name,
            Project = layout?.Project,
            Dataset = layout?.Dataset,
            Created = now,
            Description = description,
            RowCount = list.Sum(c => c.Rows),
            Schema = schema,
            Lineage = new Lineage { Kind = LineageKinds.Source },
            Revision = new RevisionInfo { Root = url.Name, Generation = 0, Number = 0 },
            Chunks = list,
            Source = source,
            Properties = properties,
        };
    }

    /// <summary>
    /// Where the chunk attempt <paramref name="writeId"/> of an import writes bulk data (image bytes a Hugging Face dataset
    /// embeds), or null for formats that write none (their images stay where they are). A job that publishes nothing, and
    /// a worker whose attempt lost, delete it with the staged chunk file.
    /// </summary>
    public static Url? BulkFolder(ImportJobSpec spec, string writeId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Format != "hf")
        {
            return null;
        }
        return TableLayout.BulkData(new Url(spec.TableUrl)).Join(writeId);
    }

    /// <summary>The write id of a chunk attempt: part of its staged file's name, so attempts never share a file.</summary>
    public static string WriteId(string jobId, int chunk, int attempt, string token) =>
        string.Create(CultureInfo.InvariantCulture, $"import-{jobId[..Math.Min(8, jobId.Length)]}-c{chunk:D5}-a{attempt}-{token[..Math.Min(8, token.Length)]}");

    private static async Task<(Url Url, Table? Existing)> ResolveTargetAsync(ImportOptions options, CancellationToken cancellationToken)
    {
        var writerOptions = options.ToWriterOptions(new TableSchema(), null);
        var url = TableWriter.ResolveUrl(writerOptions);
        var adapters = options.EffectiveAdapters;
        if (!await adapters.ExistsAsync(TableLayout.ObjectFile(url), cancellationToken).ConfigureAwait(false))
        {
            return (url, null);
        }
        return options.IfExists switch
        {
            IfExists.Reuse => (url, await Table.OpenAsync(url, adapters, cancellationToken).ConfigureAwait(false)),
            IfExists.Raise => throw new TableExistsException(url),
            IfExists.Rename => (await TableWriter.FreeNameAsync(adapters, url, cancellationToken).ConfigureAwait(false), null),
            _ => throw new NotSupportedException($"{url} exists: an import job publishes a new table; use IfExists Reuse, Raise or Rename."),
        };
    }
}

/// <summary>How an import job runs.</summary>
public sealed record ImportJobOptions
{
    /// <summary>
    /// Source bytes per chunk of imports cut by bytes (CSV, NDJSON, Parquet row groups, Hugging Face record batches).
    /// Default: <see cref="ImportJobs.DefaultChunkBytes"/> (16 MiB).
    /// </summary>
    public long ChunkBytes { get; init; } = ImportJobs.DefaultChunkBytes;

    /// <summary>What to do with bad rows. Default: <see cref="ImportErrorPolicy.Fail"/>.</summary>
    public ImportErrorPolicy ErrorPolicy { get; init; } = ImportErrorPolicy.Fail;

    /// <summary>Attempts per chunk before the job fails. Default: 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a chunk lease lasts without renewal. Default: 30 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Images (rows) per chunk of the formats cut by image rather than by bytes (COCO, YOLO, image folders). Default:
    /// <see cref="ImportJobs.DefaultImagesPerChunk"/> (1,000).
    /// </summary>
    public int ImagesPerChunk { get; init; } = ImportJobs.DefaultImagesPerChunk;
}

/// <summary>What converting one chunk gave.</summary>
/// <param name="File">The staged chunk file (its URL relative to the table folder), or null when the chunk had no rows or a bad row.</param>
/// <param name="Rows">Rows converted.</param>
/// <param name="Error">The chunk's first bad row, naming file and line/row (fail policy).</param>
public sealed record ImportChunkConversion(ChunkInfo? File, long Rows, string? Error)
{
    /// <summary>Under the skip policy, the staged file listing the rows left out (its URL relative to the quarantine table folder), or null.</summary>
    public ChunkInfo? Quarantine { get; init; }
}

/// <summary>Collects the rows a chunk leaves out under the skip policy into a staged quarantine chunk file.</summary>
internal sealed class QuarantineWriter(TableWriter writer, string file) : IAsyncDisposable
{
    public void Add(long? line, long? row, string? column, string reason) => Add(file, line, row, column, reason);

    /// <summary>Lists a row left out whose problem lies in <paramref name="inFile"/> (a label or image file rather than the source).</summary>
    public void Add(string inFile, long? line, long? row, string? column, string reason) => writer.AddRow(new Dictionary<string, object?>
    {
        ["file"] = inFile, ["line"] = line, ["row"] = row, ["column"] = column, ["reason"] = reason,
    });

    public IReadOnlyList<ChunkInfo> Complete() => writer.CompleteStaging();

    public ValueTask DisposeAsync() => writer.DisposeAsync();
}
