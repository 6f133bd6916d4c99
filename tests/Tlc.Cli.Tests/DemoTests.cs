using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>The main job, end to end, on real Fashion-MNIST and labelme's COCO set (one short epoch).</summary>
public sealed class DemoTests : IDisposable
{
    private readonly TempRoot _root = new("cli-demo");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 600_000)]
    public async Task Demo_OneEpoch_PublishesTablesRevisionRunAndCompleteMetricsTables()
    {
        var result = await CliProcess.RunAsync(
            ["demo", "--root", _root.Path, "--epochs", "1", "--samples-per-epoch", "3000", "--workers", "2",
             "--fashion-mnist", Fixtures.FashionMnistIdx, "--coco", Path.Combine(Fixtures.LabelmeCoco, "annotations.json")],
            null, TimeSpan.FromMinutes(9));

        Assert.True(result.ExitCode == 0, $"tlc demo failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
        Assert.Contains("Most confidently wrong", result.Stdout);

        var datasets = Path.Combine(_root.Path, "projects", "demo", "datasets");
        var curated = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(datasets, "fashion-mnist", "tables", "train.r0001")));
        Assert.Equal(60_000, curated.RowCount);
        Assert.Equal(0.1f, (float)curated[0]["weight"]!, 3);
        Assert.Equal(1f, (float)curated[500]["weight"]!);
        var coco = await Table.FromUrlAsync(Url.FromLocalPath(Path.Combine(datasets, "labelme-coco", "tables", "instances")));
        Assert.Equal(3, coco.RowCount);

        var metricsFolder = Path.Combine(_root.Path, "projects", "demo", "runs", "fashion-mnist-cnn", "metrics");
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
        Assert.True(File.Exists(Path.Combine(_root.Path, "projects", "demo", "runs", "fashion-mnist-cnn", "models", "epoch-0.dat")));
    }
}
