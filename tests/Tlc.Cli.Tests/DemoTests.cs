using System.Text.Json.Nodes;
using SkiaSharp;
using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// The demo's run: <c>tlc demo</c> once on real Fashion-MNIST and labelme's COCO set (one short epoch), shared by the tests
/// of what it publishes and of the dashboard over its root.
/// </summary>
public sealed class DemoRun : IAsyncLifetime
{
    public TempRoot Root { get; } = new("cli-demo");

    public CliProcess.Result Result { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Result = await CliProcess.RunAsync(
        ["demo", "--root", Root.Path, "--epochs", "1", "--samples-per-epoch", "3000", "--workers", "2",
         "--fashion-mnist", Fixtures.FashionMnistIdx, "--coco", Path.Combine(Fixtures.LabelmeCoco, "annotations.json")],
        null, TimeSpan.FromMinutes(9));

    public ValueTask DisposeAsync()
    {
        Root.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>The main job, end to end, on real Fashion-MNIST and labelme's COCO set (one short epoch).</summary>
public sealed partial class DemoTests(DemoRun demo) : IClassFixture<DemoRun>
{
    [Fact(Timeout = 600_000)]
    public async Task Demo_OneEpoch_PublishesTablesRevisionRunAndCompleteMetricsTables()
    {
        var result = demo.Result;

        Assert.True(result.ExitCode == 0, $"tlc demo failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("Most confidently wrong", result.Stdout);

        var datasets = Path.Combine(demo.Root.Path, "projects", "demo", "datasets");
        var curated = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(datasets, "fashion-mnist", "tables", "train.r0001")));
        Assert.Equal(60_000, curated.RowCount);
        Assert.Equal(0.1f, (float)curated[0]["weight"]!, 3);
        Assert.Equal(1f, (float)curated[500]["weight"]!);
        var coco = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(datasets, "labelme-coco", "tables", "instances")));
        Assert.Equal(3, coco.RowCount);

        var metricsFolder = Path.Combine(demo.Root.Path, "projects", "demo", "runs", "fashion-mnist-cnn", "metrics");
        var names = Directory.GetDirectories(metricsFolder).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(2, names.Count);
        Assert.Matches("^test-[0-9a-f]{8}$", names[0]);
        Assert.Equal(names[0] + ".r0001", names[1]);

        var reduced = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(metricsFolder, names[1])));
        Assert.Equal(10_000, reduced.RowCount);
        var ids = Enumerable.Range(0, reduced.Count).Select(i => (long)reduced[i]["example_id"]!).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), ids);
        Assert.Contains("embeddings_9_pca", reduced.Schema.Names);
        Assert.Contains("loss", reduced.Schema.Names);
        Assert.True(File.Exists(Path.Combine(demo.Root.Path, "projects", "demo", "runs", "fashion-mnist-cnn", "models", "epoch-0.dat")));

        // The summary it printed (and wrote as JSON) agrees with the tables.
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(demo.Root.Path, "projects", "demo", "runs", "fashion-mnist-cnn", "demo-summary.json")))!;
        var test = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(datasets, "fashion-mnist", "tables", "test")));
        var labels = Enumerable.Range(0, test.Count).ToDictionary(i => (long)i, i => (int)test.Rows[i]["label"]!);
        var classes = ((Tlc.Schemas.ScalarSchema)test.Schema["label"]).ValueMap!.Names;
        var rows = Enumerable.Range(0, reduced.Count).Select(i => reduced.Rows[i])
            .Select(r => (Id: (long)r["example_id"]!, Predicted: (int)r["predicted"]!, Confidence: (float)r["confidence"]!)).ToList();
        var wrong = rows.Where(r => r.Predicted != labels[r.Id]).OrderByDescending(r => r.Confidence).ToList();
        var epoch = Assert.Single(summary["epochs"]!.AsArray())!;
        Assert.Equal(1.0 - (double)wrong.Count / rows.Count, (double)epoch["test_accuracy"]!, 4);
        var listed = summary["most_confidently_wrong"]!.AsArray();
        Assert.Equal(8, listed.Count);
        Assert.Equal(wrong.Take(8).Select(w => w.Confidence), listed.Select(w => (float)w!["confidence"]!));
        foreach (var w in listed)
        {
            var id = (long)w!["example_id"]!;
            Assert.Equal(classes[labels[id]], (string)w["label"]!);
            Assert.Equal(classes[rows.Single(r => r.Id == id).Predicted], (string)w["predicted"]!);
            Assert.NotEqual((string)w["label"]!, (string)w["predicted"]!);
        }
        Assert.Contains("Most confidently wrong", result.Stdout);
        Assert.Contains(listed[0]!["example_id"]!.ToString(), result.Stdout, StringComparison.Ordinal);

        // Charts of the aggregates per epoch and of the reduced embeddings by label.
        var charts = summary["charts"]!.AsArray().Select(c => new Url((string)c!).LocalPath).ToList();
        Assert.Contains(charts, c => Path.GetFileName(c).StartsWith("aggregates-", StringComparison.Ordinal));
        Assert.Contains(charts, c => Path.GetFileName(c).StartsWith("embeddings", StringComparison.Ordinal));
        foreach (var chart in charts)
        {
            using var bitmap = SKBitmap.Decode(chart);
            Assert.NotNull(bitmap);
            Assert.Equal((800, 500), (bitmap.Width, bitmap.Height));
            Assert.Contains(Path.GetFileName(chart), result.Stdout, StringComparison.Ordinal);
        }
    }
}
