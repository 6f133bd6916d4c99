using System.Text.Json;
using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

public sealed class ImportExportVerbTests : IDisposable
{
    private readonly TempRoot _root = new("cli-import");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    private static (string Url, long Rows) Made(CliProcess.Result result)
    {
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, json.RootElement.EnumerateObject().Count());
        return (json.RootElement.GetProperty("url").GetString()!, json.RootElement.GetProperty("rows").GetInt64());
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCsv_Cluster_SameTableAsOneProcess_SameJobIdReturnsIt()
    {
        var csv = _root.File("in/big.csv");
        using (var writer = new StreamWriter(csv))
        {
            writer.Write("id,name,score,note\n");
            for (var i = 0; i < 60_000; i++)
            {
                writer.Write(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{i},n{i % 17},{i * 0.5},\"a, {i}\"\n"));
            }
        }

        var (url, rows) = Made(await Tlc("import", "csv", csv, "--dataset", "d", "--table", "job", "--cluster", "--chunk-mb", "0.25", "--job-id", "csvjob1", "--json"));
        var (singleUrl, _) = Made(await Tlc("import", "csv", csv, "--dataset", "d", "--table", "single", "--json"));
        var again = Made(await Tlc("import", "csv", csv, "--dataset", "d", "--table", "job", "--cluster", "--job-id", "csvjob1", "--json"));

        Assert.Equal(60_000, rows);
        using var job = await Table.OpenAsync(url);
        using var single = await Table.OpenAsync(singleUrl);
        Assert.Equal(single.ContentHash(), job.ContentHash());
        Assert.True(job.Object.Chunks.Count > 4, $"{job.Object.Chunks.Count} chunk files");
        Assert.Equal("csvjob1", job.Object.Properties!["import_job"]);
        Assert.Equal(url, again.Url);

        var listed = await Tlc("imports", "--json");
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using (var jobs = JsonDocument.Parse(listed.Stdout))
        {
            var entry = Assert.Single(jobs.RootElement.EnumerateArray(), j => j.GetProperty("id").GetString() == "csvjob1");
            Assert.Equal("completed", entry.GetProperty("status").GetString());
            Assert.Equal(60_000, entry.GetProperty("rows_committed").GetInt64());
        }
        var shown = await Tlc("import", "show", "csvjob", "--json");
        Assert.True(shown.ExitCode == 0, shown.Stderr);
        using (var show = JsonDocument.Parse(shown.Stdout))
        {
            Assert.Equal(url, show.RootElement.GetProperty("table_url").GetString());
        }
        Assert.Equal(1, (await Tlc("import", "show", "no-such-job")).ExitCode);
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCoco_PersonKeypoints_KeypointsColumnByDefault_OffLeavesItOut_ExportWritesThemBack()
    {
        var annotations = Path.Combine(Fixtures.CocoKeypoints, "annotations.json");

        var (url, rows) = Made(await Tlc("import", "coco", annotations, "--dataset", "kp", "--table", "auto", "--json"));
        var (offUrl, _) = Made(await Tlc("import", "coco", annotations, "--keypoints", "off", "--dataset", "kp", "--table", "off", "--json"));
        var bad = await Tlc("import", "coco", annotations, "--keypoints", "maybe", "--dataset", "kp", "--table", "bad");
        var exported = Path.Combine(_root.Path, "out/kp.json");
        var export = await Tlc("export", url, "coco", exported);

        Assert.Equal(3, rows);
        using (var table = await Table.OpenAsync(url))
        {
            var keypoints = Assert.IsType<Tlc.DataTypes.Keypoints2D>(table[0]["keypoints"]);
            Assert.Equal(34, keypoints.Instances[0].Points.Count);
        }
        using (var off = await Table.OpenAsync(offUrl))
        {
            Assert.DoesNotContain("keypoints", off.Schema.Names);
        }
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--keypoints must be auto, on or off (got 'maybe')", bad.Stderr, StringComparison.Ordinal);
        Assert.True(export.ExitCode == 0, export.Stderr);
        using var json = JsonDocument.Parse(File.ReadAllText(exported));
        Assert.Equal(17, json.RootElement.GetProperty("categories")[0].GetProperty("keypoints").GetArrayLength());
        Assert.Equal(51, json.RootElement.GetProperty("annotations")[0].GetProperty("keypoints").GetArrayLength());
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCoco_Cluster_OneImagePerChunk_SameTableAsOneProcessAndPlanFilesRemoved()
    {
        var annotations = Path.Combine(Fixtures.LabelmeCoco, "annotations.json");

        var (url, rows) = Made(await Tlc("import", "coco", annotations, "--task", "Segment", "--dataset", "coco", "--table", "job", "--cluster",
            "--images-per-chunk", "1", "--workers", "2", "--job-id", "cocojob1", "--json"));
        var (singleUrl, _) = Made(await Tlc("import", "coco", annotations, "--task", "Segment", "--dataset", "coco", "--table", "single", "--json"));
        var zero = await Tlc("import", "coco", annotations, "--dataset", "coco", "--table", "other", "--cluster", "--images-per-chunk", "0");

        Assert.Equal(3, rows);
        using var job = await Table.OpenAsync(url);
        using var single = await Table.OpenAsync(singleUrl);
        Assert.Equal(single.ContentHash(), job.ContentHash());
        Assert.Equal(3, job.Object.Chunks.Count);
        Assert.False(Directory.Exists(Path.Combine(new Tlc.Url(url).LocalPath, "_plan")), "the plan's side files outlive the job");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--images-per-chunk", zero.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportImageFolder_Cluster_TwoImagesPerChunk_SameTableAsOneProcessAndPlanFilesRemoved()
    {
        var folder = Path.Combine(_root.Path, "in/images");
        foreach (var cls in new[] { "Bag", "Coat", "Dress" })
        {
            Directory.CreateDirectory(Path.Combine(folder, cls));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures.FashionMnistTestPngs, cls)).Order(StringComparer.Ordinal).Take(3))
            {
                File.Copy(file, Path.Combine(folder, cls, Path.GetFileName(file)));
            }
        }

        var (url, rows) = Made(await Tlc("import", "image-folder", folder, "--validate-images", "--dataset", "fm", "--table", "job", "--cluster",
            "--images-per-chunk", "2", "--workers", "2", "--job-id", "imgjob1", "--json"));
        var (singleUrl, _) = Made(await Tlc("import", "image-folder", folder, "--validate-images", "--dataset", "fm", "--table", "single", "--json"));
        var (yoloUrl, yoloRows) = Made(await Tlc("import", "yolo", Path.Combine(Fixtures.Yolo, "detect", "images"), "--categories",
            Path.Combine(Fixtures.Yolo, "categories.txt"), "--dataset", "yolo", "--cluster", "--images-per-chunk", "1", "--workers", "2", "--json"));
        var (hfUrl, hfRows) = Made(await Tlc("import", "hf", Fixtures.HuggingFaceFashionMnist, "--dataset", "hf", "--cluster", "--chunk-mb", "0.000001",
            "--workers", "2", "--validate-images", "--json"));
        var zero = await Tlc("import", "image-folder", folder, "--dataset", "fm", "--table", "other", "--cluster", "--images-per-chunk", "0");

        Assert.Equal(9, rows);
        using var job = await Table.OpenAsync(url);
        using var single = await Table.OpenAsync(singleUrl);
        Assert.Equal(single.ContentHash(), job.ContentHash());
        Assert.Equal(5, job.Object.Chunks.Count);
        Assert.Equal("imgjob1", job.Object.Properties!["import_job"]);
        Assert.False(Directory.Exists(Path.Combine(new Tlc.Url(url).LocalPath, "_plan")), "the plan's side files outlive the job");
        Assert.Equal(3, yoloRows);
        using var yolo = await Table.OpenAsync(yoloUrl);
        Assert.Equal(3, yolo.Object.Chunks.Count);
        Assert.False(Directory.Exists(Path.Combine(new Tlc.Url(yoloUrl).LocalPath, "_plan")), "the plan's side files outlive the job");
        Assert.Equal(20, hfRows);
        using var hf = await Table.OpenAsync(hfUrl);
        Assert.Equal(3, hf.Object.Chunks.Count);
        Assert.True((bool)hf.Object.Source!["options"]!["validate_images"]!);
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--images-per-chunk", zero.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 180_000)]
    public async Task Import_EveryFormat_PrintsUrlAndRows()
    {
        var csv = _root.File("in/data.csv");
        File.WriteAllText(csv, "id,name,score\n1,a,0.5\n2,b,1.5\n3,\"c,d\",2.5\n");
        var ndjson = _root.File("in/events.ndjson");
        File.WriteAllText(ndjson, "{\"id\":1,\"tags\":[1,2]}\n{\"id\":2,\"tags\":[3]}\n");
        var folder = Path.Combine(_root.Path, "in/images");
        foreach (var cls in new[] { "Bag", "Coat" })
        {
            Directory.CreateDirectory(Path.Combine(folder, cls));
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures.FashionMnistTestPngs, cls)).Order().Take(3))
            {
                File.Copy(file, Path.Combine(folder, cls, Path.GetFileName(file)));
            }
        }

        var (csvUrl, csvRows) = Made(await Tlc("import", "csv", csv, "--project", "p", "--dataset", "d", "--json"));
        Assert.Equal(3, csvRows);
        Assert.EndsWith("/projects/p/datasets/d/tables/data", csvUrl, StringComparison.Ordinal);
        Assert.Equal("c,d", (await Table.OpenAsync(csvUrl)).Rows[2]["name"]);
        Assert.Equal(2, Made(await Tlc("import", "ndjson", ndjson, "--dataset", "d", "--table", "events", "--json")).Rows);
        Assert.Equal(6, Made(await Tlc("import", "image-folder", folder, "--dataset", "fm", "--json")).Rows);
        var (cocoUrl, cocoRows) = Made(await Tlc("import", "coco", Path.Combine(Fixtures.LabelmeCoco, "annotations.json"), "--task", "Segment", "--dataset", "coco", "--table", "val", "--json"));
        Assert.Equal(3, cocoRows);
        Assert.Equal(3, Made(await Tlc("import", "yolo", Path.Combine(Fixtures.Yolo, "detect", "images"), "--categories", Path.Combine(Fixtures.Yolo, "categories.txt"), "--dataset", "yolo", "--json")).Rows);
        var (hfUrl, hfRows) = Made(await Tlc("import", "hf", Fixtures.HuggingFaceFashionMnist, "--split", "test", "--dataset", "hf", "--table", "test",
            "--validate-images", "--json"));
        Assert.True(hfRows > 0);
        using (var hf = await Table.OpenAsync(hfUrl))
        {
            Assert.True((bool)hf.Object.Source!["options"]!["validate_images"]!);
        }

        // The same import again reuses the table.
        Assert.Equal(csvUrl, Made(await Tlc("import", "csv", csv, "--project", "p", "--dataset", "d", "--json")).Url);

        // Parquet round trip through export.
        var parquet = Path.Combine(_root.Path, "out/data.parquet");
        var exported = await Tlc("export", csvUrl, "parquet", parquet, "--json");
        Assert.True(exported.ExitCode == 0, exported.Stderr);
        Assert.Equal(3, Made(await Tlc("import", "parquet", parquet, "--dataset", "d", "--table", "back", "--json")).Rows);

        // COCO export of the imported set, then YOLO.
        var coco = Path.Combine(_root.Path, "out/coco.json");
        Assert.Equal(0, (await Tlc("export", cocoUrl, "coco", coco)).ExitCode);
        using var cocoJson = JsonDocument.Parse(File.ReadAllText(coco));
        Assert.Equal(12, cocoJson.RootElement.GetProperty("annotations").GetArrayLength());
        Assert.Equal(0, (await Tlc("export", cocoUrl, "yolo", Path.Combine(_root.Path, "out/yolo"))).ExitCode);
        Assert.Equal(3, Directory.EnumerateFiles(Path.Combine(_root.Path, "out/yolo/labels")).Count());
    }

    [Fact(Timeout = 120_000)]
    public async Task Export_WeightThreshold_LeavesLowWeightRowsOut()
    {
        var csv = _root.File("in/w.csv");
        File.WriteAllText(csv, "id\n1\n2\n3\n4\n");
        var (url, _) = Made(await Tlc("import", "csv", csv, "--json"));
        Assert.Equal(0, (await Tlc("table", "edit", url, "--weight", "1,3=0")).ExitCode);
        var latest = (await Tlc("table", "latest", url)).Stdout.Trim();
        var result = await Tlc("export", latest, "json", Path.Combine(_root.Path, "out/w.ndjson"), "--weight-threshold", "0.5", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(2, json.RootElement.GetProperty("rows").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("skipped_rows").GetInt64());
        var ids = File.ReadAllLines(Path.Combine(_root.Path, "out/w.ndjson")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetInt64());
        Assert.Equal([1L, 3], ids);
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCocoAndYolo_ValidateBoxes_BoxOutsideFailsNamingFileAndAnnotationOrLine_SkipQuarantinesIt()
    {
        // COCO: annotation 0's box reaches 2 pixels below its 500×338 image; images stay in the fixture folder.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.LabelmeCoco, "annotations.json")))!;
        json["annotations"]![0]!["bbox"]![3] = 233.0;
        var coco = _root.File("in/coco.json");
        File.WriteAllText(coco, json.ToJsonString());
        Assert.Equal(3, Made(await Tlc("import", "coco", coco, "--images", Fixtures.LabelmeCoco, "--dataset", "coco", "--table", "lenient", "--json")).Rows);
        var strict = await Tlc("import", "coco", coco, "--images", Fixtures.LabelmeCoco, "--validate-boxes", "--dataset", "coco", "--table", "strict");
        Assert.Equal(1, strict.ExitCode);
        Assert.Contains("coco.json:annotations[0]: annotation id 0: bbox [191, 107, 123, 233] lies outside", strict.Stderr, StringComparison.Ordinal);

        // YOLO: a box whose right edge reaches x = 1.05.
        var yolo = _root.File("in/yolo/x");
        yolo = Path.GetDirectoryName(yolo)!;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(Fixtures.Yolo, "detect"), "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(yolo, Path.GetRelativePath(Path.Combine(Fixtures.Yolo, "detect"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.WriteAllBytes(to, File.ReadAllBytes(file));
        }
        var label = Directory.GetFiles(Path.Combine(yolo, "labels")).Order(StringComparer.Ordinal).First();
        File.AppendAllLines(label, ["3 0.95 0.5 0.2 0.2"]);
        var line = File.ReadAllLines(label).Length;
        var categories = Path.Combine(Fixtures.Yolo, "categories.txt");
        Assert.Equal(3, Made(await Tlc("import", "yolo", Path.Combine(yolo, "images"), "--categories", categories, "--dataset", "yolo", "--table", "lenient",
            "--json")).Rows);
        var bad = await Tlc("import", "yolo", Path.Combine(yolo, "images"), "--categories", categories, "--validate-boxes", "--dataset", "yolo", "--table", "strict");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains($"{Path.GetFileName(label)}:line {line}: the box (cx 0.95, cy 0.5, w 0.2, h 0.2) reaches x 0.85..1.05", bad.Stderr, StringComparison.Ordinal);

        // As a job under the skip policy the image is left out and quarantined.
        var skipped = await Tlc("import", "yolo", Path.Combine(yolo, "images"), "--categories", categories, "--validate-boxes", "--dataset", "yolo",
            "--table", "job", "--cluster", "--on-error", "skip", "--images-per-chunk", "1", "--workers", "2", "--json");
        Assert.True(skipped.ExitCode == 0, skipped.Stderr);
        using var made = JsonDocument.Parse(skipped.Stdout);
        var url = made.RootElement.GetProperty("url").GetString()!;
        Assert.Equal(2, made.RootElement.GetProperty("rows").GetInt64());
        using var quarantine = await Table.OpenAsync(url + "-quarantine");
        var row = Assert.Single(quarantine.Rows);
        Assert.Equal(new Tlc.Url(label).Value, row["file"]);
        Assert.Equal((long)line, row["line"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task Import_BadCsv_OneLineNamingFileAndLine_NothingPublished()
    {
        var csv = _root.File("in/bad.csv");
        File.WriteAllText(csv, "a,b\n1,2\n3\n");
        var result = await Tlc("import", "csv", csv, "--dataset", "d");

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("tlc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("bad.csv", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("line 3", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_root.Path, "projects/default/datasets/d/tables/bad/object.tlc.json")));
    }

    [Fact(Timeout = 180_000)]
    public async Task ImportCsv_NoHeaderColumnsAndTypes_OneProcessAndCluster_SameTable_BadTypeNamed()
    {
        var csv = _root.File("in/raw.csv");
        File.WriteAllText(csv, string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i},n{i % 7},{i % 3}\n")));
        string[] args = ["import", "csv", csv, "--dataset", "d", "--no-header", "--columns", "id,name,label", "--types", "label=int32"];

        var (url, rows) = Made(await Tlc([.. args, "--table", "single", "--json"]));
        var (clusterUrl, _) = Made(await Tlc([.. args, "--table", "job", "--cluster", "--chunk-mb", "0.01", "--json"]));

        Assert.Equal(5000, rows);
        using var table = await Table.OpenAsync(url);
        using var clustered = await Table.OpenAsync(clusterUrl);
        Assert.Equal(["id", "name", "label", "weight"], table.Schema.Names);
        Assert.IsType<Tlc.Schemas.Int32Schema>(table.Schema["label"]);
        Assert.Equal((0L, "n0", 0), ((long)table.Rows[0]["id"]!, (string)table.Rows[0]["name"]!, (int)table.Rows[0]["label"]!));
        Assert.Equal(table.ContentHash(), clustered.ContentHash());
        var bad = await Tlc("import", "csv", csv, "--dataset", "d", "--table", "bad", "--no-header", "--types", "column_3=int33");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--types: column 'column_3': 'int33' is not a column type", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task ImportAndExport_Help_HasExamples()
    {
        foreach (var format in new[] { "csv", "parquet", "ndjson", "coco", "yolo", "image-folder", "hf" })
        {
            var result = await CliProcess.RunAsync(["import", format, "--help"]);
            Assert.Equal(0, result.ExitCode);
            Assert.Contains($"Example: tlc import {format}", result.Stdout, StringComparison.Ordinal);
        }
        Assert.Contains("Example: tlc export", (await CliProcess.RunAsync(["export", "--help"])).Stdout, StringComparison.Ordinal);
    }
}
