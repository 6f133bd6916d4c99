using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc demo</c>: the main job on real data with the embedded single-node default.</summary>
internal static class DemoCommand
{
    /// <summary>Fashion-MNIST's class names, in label order.</summary>
    public static readonly string[] FashionMnistClasses =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    public static Command Create()
    {
        var fashion = new Option<string>("--fashion-mnist")
        {
            Description = "Folder of Fashion-MNIST's IDX files (Debian package dataset-fashion-mnist).",
            DefaultValueFactory = _ => "/usr/share/datasets/fashion-mnist",
        };
        var coco = new Option<string?>("--coco")
        {
            Description = "A COCO annotations file with its images beside it (default: labelme's example set, as ./demo.sh extracts it; TLC_DEMO_COCO).",
        };
        var project = new Option<string>("--project") { Description = "The project to write into.", DefaultValueFactory = _ => "demo" };
        var command = new Command("demo",
            "Import real data into tables (Fashion-MNIST images written as PNGs, a real COCO set), edit a revision, derive a table, and show what was made.\n" +
            "Example: tlc demo --root /tmp/tlc-demo")
        {
            fashion, coco, project,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var console = CliRunner.Console2;
            var p = parse.GetValue(project)!;
            var watch = Stopwatch.StartNew();
            console.MarkupLine($"[bold]Tlc demo[/] — root {Markup.Escape(settings.RootUrl.Value)}, project '{Markup.Escape(p)}'");

            var made = new List<Table>();
            foreach (var split in new[] { ("train", "train"), ("test", "t10k") })
            {
                made.Add(await ImportFashionMnistAsync(parse.GetValue(fashion)!, split.Item1, split.Item2, p, console, ct));
            }
            var cocoFile = parse.GetValue(coco) ?? Environment.GetEnvironmentVariable("TLC_DEMO_COCO")
                ?? throw new UsageException("Give the COCO set with --coco <annotations.json> (./demo.sh extracts labelme's example set and passes it).");
            var cocoTable = await Table.FromCocoAsync(cocoFile, null, new CocoImportOptions
            {
                Project = p, Dataset = "labelme-coco", Table = "instances", Task = CocoTask.Segment, ValidateImages = true, IfExists = IfExists.Reuse,
            }, ct);
            made.Add(cocoTable);
            var test = made[1];

            console.WriteLine();
            console.MarkupLine("[bold]Tables[/]");
            var grid = new Spectre.Console.Table().AddColumns("table", "rows", "columns", "folder");
            foreach (var t in made)
            {
                grid.AddRow(Markup.Escape($"{t.Object.Dataset}/{t.Name}"), t.RowCount.ToString("N0", CultureInfo.InvariantCulture),
                    Markup.Escape(string.Join(", ", t.Schema.Names)), Markup.Escape(t.Url.LocalPathOrValue()));
            }
            console.Write(grid);

            // Per-class counts of the test split, read column-wise.
            var counts = new int[FashionMnistClasses.Length];
            foreach (var batch in test.ScanBatches(ct))
            {
                var labels = (Apache.Arrow.Int32Array)batch.Column("label");
                foreach (var label in labels.Values)
                {
                    counts[label]++;
                }
            }
            var instances = Enumerable.Range(0, cocoTable.Count).Select(i => (BoundingBoxes2D)cocoTable[i]["bbs"]!).ToList();
            var polygons = Enumerable.Range(0, cocoTable.Count).Sum(i => ((SegmentationPolygons)cocoTable[i]["segmentations"]!).Instances.Count);
            var classes = ((AnnotationSchema)cocoTable.Schema["bbs"]).Classes!;
            console.MarkupLine(Markup.Escape($"COCO (labelme): {cocoTable.RowCount} images, {instances.Sum(b => b.Boxes.Count)} boxes, {polygons} polygon instances; " +
                $"classes seen: {string.Join(", ", instances.SelectMany(b => b.Boxes).GroupBy(b => b.Label).OrderBy(g => g.Key).Select(g => $"{classes[g.Key].InternalName} ×{g.Count()}"))}"));
            console.MarkupLine("[bold]Test split per class[/]: " + string.Join(", ", FashionMnistClasses.Select((c, i) => $"{Markup.Escape(c)} {counts[i]:N0}")));
            var sample = test[0];
            var image = (ImageSample)sample["image"]!;
            console.MarkupLine(Markup.Escape($"test[0]: label {FashionMnistClasses[(int)sample["label"]!]} — image decoded {image.Width}×{image.Height} {image.ColorType} from {(string)test.Rows[0]["image"]!}"));

            // A revision: down-weight a few samples and relabel one (3LC's Dashboard edits, from code).
            var head = await test.LatestAsync(cancellationToken: ct);
            var revision = await head.Edit()
                .SetWeights([0, 1, 2], 0f)
                .SetValue("label", 3, "Coat")
                .Describe("demo: exclude three samples, relabel one")
                .CommitAsync(ct);
            console.MarkupLine($"[bold]Revision[/] {revision.Object.Revision.Number} of the test table: {Markup.Escape(revision.Url.Value)} — only the edits are stored " +
                $"({revision.Object.Edits!.Sum(e => e.Value.RunsAndValues?.Count ?? 0) / 2} value runs); latest = {Markup.Escape((await test.LatestAsync(cancellationToken: ct)).Url.Name)}");
            var bags = await revision.FilterAsync([ColumnPredicate.Eq("label", "Bag")], new DerivedTableOptions { Name = "test-bags", IfExists = IfExists.Overwrite }, ct);
            console.MarkupLine($"[bold]Filtered[/] table of bags: {bags.RowCount:N0} rows, stored as row runs over {Markup.Escape(revision.Url.Name)}");

            console.WriteLine();
            var tlc = Environment.GetEnvironmentVariable("TLC_CLI_NAME") ?? "tlc";
            var rootArg = parse.GetValue(CliContext.Root) is { } r ? $" --root {r}" : "";
            console.MarkupLine($"Done in {watch.Elapsed.TotalSeconds:F1} s. Next, try:");
            console.MarkupLine(Markup.Escape($"  {tlc} tables --project {p}{rootArg}"));
            console.MarkupLine(Markup.Escape($"  {tlc} table info {revision.Url.Value}"));
            console.MarkupLine(Markup.Escape($"  {tlc} table rows {test.Url.Value} --from 0 --count 5"));
            console.MarkupLine(Markup.Escape($"  {tlc} table edit {revision.Url.Value} --weight 10-19=2"));
            console.MarkupLine(Markup.Escape($"  {tlc} export {cocoTable.Url.Value} yolo /tmp/labelme-yolo"));
            return CliRunner.Ok;
        }));
        return command;
    }

    private static async Task<Table> ImportFashionMnistAsync(string folder, string split, string prefix, string project, IAnsiConsole console, CancellationToken ct)
    {
        var options = new ImportOptions { Project = project, Dataset = "fashion-mnist", Table = split, IfExists = IfExists.Reuse };
        if (await options.FindReusableAsync(ct) is { } existing)
        {
            console.MarkupLine($"fashion-mnist/{split}: reusing {existing.RowCount:N0} rows");
            return existing;
        }
        var images = Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz");
        var labelsFile = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labelsFile))
        {
            throw new FileNotFoundException($"Fashion-MNIST is not in {folder} ({Path.GetFileName(images)} missing): install it with 'sudo apt-get install dataset-fashion-mnist' (./demo.sh does).");
        }
        var (count, rows, columns, pixels) = IdxReader.ReadImages(images);
        var labels = IdxReader.ReadLabels(labelsFile);
        if (labels.Length != count)
        {
            throw new FormatException($"{labelsFile} has {labels.Length} labels for {count} images.");
        }
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Png),
            ["label"] = new CategoricalLabelSchema(FashionMnistClasses),
        };
        Table? table = null;
        await console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"fashion-mnist/{split}", maxValue: count);
                await using var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, new System.Text.Json.Nodes.JsonObject
                {
                    ["format"] = "idx",
                    ["images"] = Url.FromLocalPath(images).Value,
                    ["labels"] = Url.FromLocalPath(labelsFile).Value,
                }), ct);
                const int block = 2048;
                for (var start = 0; start < count; start += block)
                {
                    ct.ThrowIfCancellationRequested();
                    var n = Math.Min(block, count - start);
                    // PNG encoding is the cost: encode a block in parallel, then add the rows in order.
                    var encoded = new byte[n][];
                    Parallel.For(0, n, i => encoded[i] = new ImageSample(columns, rows, ImageColorType.Gray8,
                        pixels.AsSpan((start + i) * rows * columns, rows * columns).ToArray()).Encode(ImageEncoding.Png));
                    for (var i = 0; i < n; i++)
                    {
                        writer.AddRow(new Dictionary<string, object?> { ["image"] = encoded[i], ["label"] = (int)labels[start + i] });
                    }
                    task.Increment(n);
                }
                table = await writer.FinalizeAsync(ct);
            });
        return table!;
    }
}

internal static class UrlDisplay
{
    public static string LocalPathOrValue(this Url url) => url.IsFile ? url.LocalPath : url.Value;
}
