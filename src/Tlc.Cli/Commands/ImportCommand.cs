using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Tlc.Tables;
using Tlc.Cluster;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Schemas;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc import &lt;format&gt; &lt;source&gt; --project P --dataset D --table T</c>.</summary>
internal static class ImportCommand
{
    private sealed record Common(string Project, string Dataset, string Table, IfExists IfExists, string? Description);

    private static readonly Option<string> Project = new("--project") { Description = "The project.", DefaultValueFactory = _ => "default" };
    private static readonly Option<string> Dataset = new("--dataset") { Description = "The dataset.", DefaultValueFactory = _ => "default" };
    private static readonly Option<string?> TableName = new("--table") { Description = "The table name (default: the source's file or folder name)." };
    private static readonly Option<IfExists> IfExistsOption = new("--if-exists")
    {
        Description = "When the table exists: Reuse (keep it), Raise, Rename or Overwrite.",
        DefaultValueFactory = _ => IfExists.Reuse,
    };
    private static readonly Option<string?> Description = new("--description") { Description = "A description of the table." };

    public static Command Create()
    {
        var import = new Command("import", "Import data into a table: csv, parquet, ndjson, coco, yolo, image-folder, hf, fashion-mnist.");
        import.Add(Format("csv", "a CSV file (header row, or --no-header; types inferred, or --types)", "tlc import csv flights.csv --project air --dataset flights --table raw",
            (source, c, parse, ct) => Table.FromCsvAsync(source, CsvOptions(c, parse), ct),
            (source, c, parse) => ImportSource.Csv(source, CsvOptions(c, parse)), Separator, NoHeader, Columns, Types));
        import.Add(Format("parquet", "a Parquet file", "tlc import parquet flights-3m.parquet --dataset flights",
            (source, c, _, ct) => Table.FromParquetAsync(source, ParquetOptions(c), ct),
            (source, c, _) => ImportSource.Parquet(source, ParquetOptions(c))));
        import.Add(Format("ndjson", "a newline-delimited JSON file (one object per line)", "tlc import ndjson events.ndjson --dataset events",
            (source, c, _, ct) => Table.FromNdjsonAsync(source, NdjsonOptions(c), ct),
            (source, c, _) => ImportSource.Ndjson(source, NdjsonOptions(c))));
        import.Add(Format("coco", "a COCO annotations file (images beside it, or --images)", "tlc import coco annotations.json --images JPEGImages --task segment --dataset coco",
            (source, c, parse, ct) => Table.FromCocoAsync(source, parse.GetValue(Images), CocoOptions(c, parse), ct),
            (source, c, parse) => ImportSource.Coco(source, parse.GetValue(Images), CocoOptions(c, parse)),
            Images, CocoTaskOption, IncludeIsCrowd, Validate, ValidateBoxes, CocoKeypoints, ImagesPerChunk));
        import.Add(Format("yolo", "a YOLO images folder (labels in the sibling 'labels' folder)", "tlc import yolo data/images/train --categories cat,dog --dataset pets",
            (source, c, parse, ct) => Table.FromYoloUrlAsync(source, Categories(parse), YoloOptions(c, parse), ct),
            (source, c, parse) => ImportSource.Yolo(source, Categories(parse), YoloOptions(c, parse)),
            CategoriesOption, YoloTaskOption, ValidateBoxes, ImagesPerChunk));
        import.Add(Format("image-folder", "a folder with one sub-folder of images per class", "tlc import image-folder photos/train --dataset photos",
            (source, c, parse, ct) => Table.FromImageFolderAsync(source, ImageFolderOptions(c, parse), ct),
            (source, c, parse) => ImportSource.ImageFolder(source, ImageFolderOptions(c, parse)),
            Validate, ImagesPerChunk));
        import.Add(Format("hf", "a Hugging Face dataset saved with save_to_disk", "tlc import hf ./mnist-saved --split test --dataset mnist",
            (source, c, parse, ct) => Table.FromHuggingFaceAsync(source, HuggingFaceOptions(c, parse), ct),
            (source, c, parse) => ImportSource.HuggingFace(source, HuggingFaceOptions(c, parse)), Split, Validate));
        import.Add(Format("fashion-mnist", "the Fashion-MNIST IDX files of a folder (Debian's dataset-fashion-mnist: /usr/share/datasets/fashion-mnist)",
            "tlc import fashion-mnist /usr/share/datasets/fashion-mnist --idx train --dataset fashion-mnist --table train",
            (source, c, parse, ct) => Metrics.FashionMnist.ImportIdxAsync(source, parse.GetValue(IdxPrefix)!, new ImportOptions
            {
                Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
            }, cancellationToken: ct), IdxPrefix));
        JobCommands.AddImportVerbs(import);
        return import;
    }

    private static ParquetImportOptions ParquetOptions(Common c) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
    };

    private static NdjsonImportOptions NdjsonOptions(Common c) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
    };

    private static CocoImportOptions CocoOptions(Common c, ParseResult parse) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
        Task = parse.GetValue(CocoTaskOption), IncludeIsCrowd = parse.GetValue(IncludeIsCrowd), ValidateImages = parse.GetValue(Validate),
        ValidateBoxes = parse.GetValue(ValidateBoxes),
        Keypoints = parse.GetValue(CocoKeypoints) switch
        {
            "auto" => null,
            "on" => true,
            "off" => false,
            var other => throw new UsageException($"--keypoints must be auto, on or off (got '{other}')."),
        },
    };

    private static YoloImportOptions YoloOptions(Common c, ParseResult parse) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
        Task = parse.GetValue(YoloTaskOption), ValidateBoxes = parse.GetValue(ValidateBoxes),
    };

    private static ImageFolderImportOptions ImageFolderOptions(Common c, ParseResult parse) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
        ValidateImages = parse.GetValue(Validate),
    };

    private static HuggingFaceImportOptions HuggingFaceOptions(Common c, ParseResult parse) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
        Split = parse.GetValue(Split)!, ValidateImages = parse.GetValue(Validate),
    };

    private static CsvImportOptions CsvOptions(Common c, ParseResult parse) => new()
    {
        Project = c.Project, Dataset = c.Dataset, Table = c.Table, IfExists = c.IfExists, Description = c.Description,
        Separator = parse.GetValue(Separator),
        HasHeader = !parse.GetValue(NoHeader),
        ColumnNames = parse.GetValue(Columns) is { } names ? [.. names.Split(',').Select(n => n.Trim())] : null,
        Schema = parse.GetValue(Types) is { } types ? TypesSchema(types) : null,
    };

    /// <summary>The schema of <c>--types name=type,…</c> (the columns it names; the others are inferred).</summary>
    private static Dictionary<string, ColumnSchema> TypesSchema(string text)
    {
        var schema = new Dictionary<string, ColumnSchema>(StringComparer.Ordinal);
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var at = entry.IndexOf('=', StringComparison.Ordinal);
            if (at <= 0 || at == entry.Length - 1)
            {
                throw new ArgumentException($"--types: '{entry}' is not name=type (e.g. --types id=int64,score=float32).");
            }
            var name = entry[..at].Trim();
            if (schema.ContainsKey(name))
            {
                throw new ArgumentException($"--types: column '{name}' is named twice.");
            }
            try
            {
                schema.Add(name, ColumnTypeNames.Parse(entry[(at + 1)..]));
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"--types: column '{name}': {e.Message}", e);
            }
        }
        return schema;
    }

    internal static readonly Option<bool> Cluster = new("--cluster")
    {
        Description = "Import as a job of the cluster: the source is cut into chunks that workers convert in parallel; a crash resumes from the committed chunks.",
    };
    internal static readonly Option<int?> Workers = new("--workers")
    {
        Description = "With --cluster: workers to run in this process (default: one per core when no worker is registered with the cluster, else none).",
    };
    internal static readonly Option<double> ChunkMiB = new("--chunk-mb")
    {
        Description = "With --cluster: source megabytes per chunk (CSV, NDJSON, Parquet, Hugging Face).",
        DefaultValueFactory = _ => 16,
    };
    internal static readonly Option<ImportErrorPolicy> OnError = new("--on-error")
    {
        Description = "With --cluster: Fail (the job fails with every bad row found, nothing is published) or Skip (bad rows are left out and listed in a quarantine table beside the table).",
        DefaultValueFactory = _ => ImportErrorPolicy.Fail,
    };
    internal static readonly Option<double> LeaseSeconds = new("--lease-seconds")
    {
        Description = "With --cluster: how long a chunk lease lasts without renewal (a dead worker's chunk waits this long before another converts it).",
        DefaultValueFactory = _ => 30.0,
    };
    internal static readonly Option<string?> JobId = new("--job-id")
    {
        Description = "With --cluster: the job id; running the same command with the same id again resumes that job or returns its table.",
    };

    internal static readonly Option<int> ImagesPerChunk = new("--images-per-chunk")
    {
        Description = "With --cluster: images (rows) per chunk of a COCO, YOLO or image-folder import.",
        DefaultValueFactory = _ => ImportJobs.DefaultImagesPerChunk,
    };
    private static readonly Option<char?> Separator = new("--separator") { Description = "The field separator (default: detected)." };
    private static readonly Option<bool> NoHeader = new("--no-header")
    {
        Description = "The first row is a record, not a header: columns are named by --columns, or column_1, column_2, …",
    };
    private static readonly Option<string?> Columns = new("--columns")
    {
        Description = "The columns' names, comma-separated (a,b,c): without a header the records' fields; with one, they replace the header's names.",
    };
    private static readonly Option<string?> Types = new("--types")
    {
        Description = $"Column types instead of inferred ones, as name=type,… (types: {string.Join(", ", ColumnTypeNames.Words)}).",
    };
    private static readonly Option<string?> Images = new("--images") { Description = "The image folder (default: the annotation file's folder)." };
    private static readonly Option<CocoTask> CocoTaskOption = new("--task") { Description = "Detect (boxes) or Segment (boxes, polygons, RLE masks).", DefaultValueFactory = _ => CocoTask.Detect };
    private static readonly Option<YoloTask> YoloTaskOption = new("--task") { Description = "Detect, Segment, Pose or Obb (oriented boxes as four corners).", DefaultValueFactory = _ => YoloTask.Detect };
    private static readonly Option<string> CocoKeypoints = new("--keypoints")
    {
        Description = "COCO person keypoints: auto (a keypoints column when a category declares keypoints), on (required) or off.",
        DefaultValueFactory = _ => "auto",
    };
    private static readonly Option<bool> IncludeIsCrowd = new("--include-iscrowd") { Description = "Keep crowd annotations (flagged)." };
    private static readonly Option<bool> Validate = new("--validate-images") { Description = "Check every image exists and decodes (in parallel)." };
    private static readonly Option<bool> ValidateBoxes = new("--validate-boxes")
    {
        Description = "Check every box lies inside its image (COCO: within 1 pixel; YOLO: corners within [0, 1] ± 1e-3).",
    };
    private static readonly Option<string> CategoriesOption = new("--categories") { Description = "Class names in id order, comma-separated, or a file with one per line.", Required = true };
    private static readonly Option<string> IdxPrefix = new("--idx") { Description = "Which IDX files: train or t10k (the test split).", DefaultValueFactory = _ => "train" };
    private static readonly Option<string> Split = new("--split") { Description = "The split of a DatasetDict.", DefaultValueFactory = _ => "train" };

    private static IReadOnlyList<string> Categories(ParseResult parse)
    {
        var value = parse.GetValue(CategoriesOption)!;
        return File.Exists(value)
            ? File.ReadAllLines(value).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray()
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The source of an import job made from the command line.</summary>
    private delegate ImportSource ClusterPlan(string source, Common common, ParseResult parse);

    private static Command Format(string name, string what, string example, Func<string, Common, ParseResult, CancellationToken, Task<Table>> import,
        params Option[] extra) => Format(name, what, example, import, null, extra);

    private static Command Format(string name, string what, string example, Func<string, Common, ParseResult, CancellationToken, Task<Table>> import,
        ClusterPlan? plan, params Option[] extra)
    {
        var source = new Argument<string>("source") { Description = $"The source: {what}." };
        var command = new Command(name, $"Import {what} into a table.\nExample: {example}")
        {
            source, Project, Dataset, TableName, IfExistsOption, Description, CliContext.Json,
        };
        foreach (var option in extra)
        {
            command.Add(option);
        }
        if (plan is not null)
        {
            command.Add(Cluster);
            command.Add(Workers);
            command.Add(ChunkMiB);
            command.Add(JobId);
            command.Add(OnError);
            command.Add(LeaseSeconds);
        }
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            CliContext.Settings(parse);
            var path = parse.GetValue(source)!;
            var tableName = parse.GetValue(TableName) ?? DefaultName(path);
            var common = new Common(parse.GetValue(Project)!, parse.GetValue(Dataset)!, tableName, parse.GetValue(IfExistsOption), parse.GetValue(Description));
            var watch = Stopwatch.StartNew();
            using var table = plan is not null && parse.GetValue(Cluster)
                ? await ImportClusterCommand.RunAsync(plan(path, common, parse), parse, ct)
                : await import(path, common, parse, ct);
            var quarantine = table.Object.Properties?.GetValueOrDefault("quarantine_table");
            if (parse.GetValue(CliContext.Json))
            {
                var output = new JsonObject { ["url"] = table.Url.Value, ["rows"] = table.RowCount };
                if (quarantine is not null)
                {
                    output["quarantine_table"] = quarantine;
                }
                JsonOutput.Write(output);
            }
            else
            {
                Console.WriteLine($"{table.Url} ({table.RowCount:N0} rows, {table.Schema.Count} columns, {watch.Elapsed.TotalSeconds:F1} s)");
                if (quarantine is not null)
                {
                    Console.WriteLine($"Rows left out (--on-error skip) are listed in {quarantine}");
                }
            }
            return CliRunner.Ok;
        }));
        return command;
    }

    private static string DefaultName(string source)
    {
        var trimmed = source.TrimEnd('/', '\\');
        var name = Path.GetFileNameWithoutExtension(trimmed);
        var safe = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_').ToArray()).TrimStart('.', '_', '-');
        return string.IsNullOrEmpty(safe) ? "table" : safe;
    }
}
