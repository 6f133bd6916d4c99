using Tlc.Cluster;

namespace Tlc.Tables.Import.Jobs;

/// <summary>
/// What an import job imports: a source in one of the formats the table engine cuts into chunks, with its import options
/// (project, dataset, table, if-exists, format settings). <see cref="PlanAsync"/> runs the format's planner; the
/// one-process importer of the same source and options gives the same table.
/// </summary>
public sealed class ImportSource
{
    private readonly Func<string, ImportJobOptions, CancellationToken, Task<(ImportPlan? Plan, Table? Existing)>> _plan;

    private ImportSource(string format, string location, ImportOptions options,
        Func<string, ImportJobOptions, CancellationToken, Task<(ImportPlan? Plan, Table? Existing)>> plan)
    {
        Format = format;
        Location = location;
        Options = options;
        _plan = plan;
    }

    /// <summary>The format: <c>csv</c>, <c>ndjson</c>, <c>parquet</c>, <c>coco</c>, <c>yolo</c>, <c>image-folder</c> or <c>hf</c>.</summary>
    public string Format { get; }

    /// <summary>The source as given (a path or URL).</summary>
    public string Location { get; }

    /// <summary>The import options (target table, format settings).</summary>
    public ImportOptions Options { get; }

    /// <summary>A CSV file, cut at record boundaries that respect quoted newlines.</summary>
    public static ImportSource Csv(string path, CsvImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = options ?? new CsvImportOptions();
        return new("csv", path, o, (id, job, ct) => ImportJobs.PlanCsvAsync(path, o, id, job, ct));
    }

    /// <summary>A newline-delimited JSON file, cut at newlines.</summary>
    public static ImportSource Ndjson(string path, NdjsonImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = options ?? new NdjsonImportOptions();
        return new("ndjson", path, o, (id, job, ct) => ImportJobs.PlanNdjsonAsync(path, o, id, job, ct));
    }

    /// <summary>A Parquet file, cut by row groups (planned from the footer alone).</summary>
    public static ImportSource Parquet(string path, ParquetImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = options ?? new ParquetImportOptions();
        return new("parquet", path, o, (id, job, ct) => ImportJobs.PlanParquetAsync(path, o, id, job, ct));
    }

    /// <summary>
    /// A COCO annotations file with its images in <paramref name="imageFolder"/> (default: the file's folder), cut by
    /// image ranges of <see cref="ImportJobOptions.ImagesPerChunk"/> in one pass over the JSON.
    /// </summary>
    public static ImportSource Coco(string annotationsFile, string? imageFolder = null, CocoImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationsFile);
        var o = options ?? new CocoImportOptions();
        return new("coco", annotationsFile, o, (id, job, ct) => ImportJobs.PlanCocoAsync(annotationsFile, imageFolder, o, id, job, ct));
    }

    /// <summary>
    /// A YOLO images folder (labels in the sibling <c>labels</c> folder) with its class names in id order, cut into pages
    /// of <see cref="ImportJobOptions.ImagesPerChunk"/> images.
    /// </summary>
    public static ImportSource Yolo(string imagesFolder, IReadOnlyList<string> categories, YoloImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesFolder);
        ArgumentNullException.ThrowIfNull(categories);
        var o = options ?? new YoloImportOptions();
        return new("yolo", imagesFolder, o, (id, job, ct) => ImportJobs.PlanYoloAsync(imagesFolder, categories, o, id, job, ct));
    }

    /// <summary>A folder with one sub-folder of images per class, cut into pages of <see cref="ImportJobOptions.ImagesPerChunk"/> images.</summary>
    public static ImportSource ImageFolder(string folder, ImageFolderImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var o = options ?? new ImageFolderImportOptions();
        return new("image-folder", folder, o, (id, job, ct) => ImportJobs.PlanImageFolderAsync(folder, o, id, job, ct));
    }

    /// <summary>A Hugging Face dataset saved with <c>save_to_disk</c>, cut by Arrow shard and record batches.</summary>
    public static ImportSource HuggingFace(string path, HuggingFaceImportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = options ?? new HuggingFaceImportOptions();
        return new("hf", path, o, (id, job, ct) => ImportJobs.PlanHuggingFaceAsync(path, o, id, job, ct));
    }

    /// <summary>
    /// Plans the import as job <paramref name="jobId"/>: the job spec, or (spec null) the existing table when the options
    /// say <see cref="IfExists.Reuse"/> and the table exists.
    /// </summary>
    /// <exception cref="ImportException">Bad input the planner reads (schema inference, structure), naming file and line.</exception>
    public Task<(ImportPlan? Plan, Table? Existing)> PlanAsync(string jobId, ImportJobOptions? jobOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        return _plan(jobId, jobOptions ?? new ImportJobOptions(), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Format} {Location}";
}
