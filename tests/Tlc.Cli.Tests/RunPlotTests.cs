using System.Text.Json;
using SkiaSharp;
using Tlc.Metrics;
using Tlc.Metrics.Reduction;
using Tlc.Plots;
using Tlc.Tables.Import;
using Tlc.Testing;
using TorchSharp;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>tlc run plot</c> on a real run: three epochs of logged aggregates and live collection with the trained Fashion-MNIST
/// CNN on 50 real test images, the last epoch's embeddings reduced to 2-D with the real reducer. The CLI connects to the
/// silo this test process hosts.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class RunPlotTests : IDisposable
{
    /// <summary>ScottPlot's Category10 palette (matplotlib's tab10): the scatter's colour of class i.</summary>
    private static readonly string[] Category10 =
        ["#1F77B4", "#FF7F0E", "#2CA02C", "#D62728", "#9467BD", "#8C564B", "#E377C2", "#7F7F7F", "#BCBD22", "#17BECF"];

    private static readonly ModelSpec Model = new(ModelKinds.Factory, "fashion-mnist-cnn", Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value);

    private static readonly CollectorSpec[] Collectors =
    [
        new("classification", ClusterCliSupport.ClassesJson),
        new("embeddings", """{"layers": [9], "dimensions": {"9": 128}}"""),
    ];

    private readonly TempRoot _root = new("run-plot");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    [Fact(Timeout = 180_000)]
    public async Task RunPlot_AggregatesOverEpochsAndReducedEmbeddings_PngsOfRequestedSize_JsonListsThem_ErrorsAreOneLine()
    {
        torch.set_num_threads(1);
        var folder = ClusterCliSupport.FashionMnistSubset(Path.Combine(_root.Path, "input", "fashion-mnist"), 5);
        using var table = await Table.FromImageFolderAsync(folder, new ImageFolderImportOptions
        {
            Project = "fm", Dataset = "fashion-mnist", Table = "test-50", Root = _root.Url, Settings = _root.Settings,
        });
        await using var connection = await ClusterConnection.ConnectAsync(_root.Settings);
        var context = connection.Context;
        string reducedUrl;
        await using (var run = await Runs.InitAsync(context, "fm", "plotted"))
        {
            var collectors = CollectorRegistry.Default.Create(Collectors);
            using var predictor = ModelRegistry.Default.CreatePredictor(Model, ModelContext.For(collectors, context.Adapters));
            Table? last = null;
            for (var epoch = 0; epoch < 3; epoch++)
            {
                await run.LogAsync(new Dictionary<string, object?>
                {
                    ["epoch"] = epoch, ["train_loss"] = 1.0 / (epoch + 1), ["val_loss"] = 1.2 / (epoch + 1), ["train_accuracy"] = 0.5 + (0.1 * epoch),
                });
                last?.Dispose();
                last = await run.CollectMetricsAsync(table, predictor, collectors, new CollectOptions
                {
                    Split = "test", Constants = new Dictionary<string, object?> { ["epoch"] = epoch }, BatchSize = 50, ShardRows = 50,
                });
            }
            using var reduced = await EmbeddingReducer.AddReducedColumnAsync(last!, "embeddings_9", new EmbeddingReducerOptions { Components = 2 });
            last!.Dispose();
            reducedUrl = reduced.Url.Value;
            await run.CompleteAsync();
        }
        await using (var empty = await Runs.InitAsync(context, "fm", "empty"))
        {
            await empty.CompleteAsync();
        }

        // Default folder (plots/ in the run's folder), text output: one line per file.
        var text = await Tlc("run", "plot", "fm/plotted");
        Assert.True(text.ExitCode == 0, $"exit {text.ExitCode}: {text.Stderr}");
        var runFolder = Path.Combine(_root.Path, "projects", "fm", "runs", "plotted", "plots");
        var expected = new[] { "aggregates-accuracy.png", "aggregates-loss.png", "aggregates-test_confidence_avg.png", "embeddings-test-epoch2.png" };
        Assert.Equal(expected, Directory.GetFiles(runFolder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var name in expected)
        {
            Assert.Contains(Path.Combine(runFolder, name), text.Stdout, StringComparison.Ordinal);
            AssertPng(Path.Combine(runFolder, name), 800, 500, minColours: 4);
        }
        Assert.Equal("", text.Stderr.Trim());

        // --out, a size and --json: every file listed with what it shows.
        var outFolder = Path.Combine(_root.Path, "charts");
        var result = await Tlc("run", "plot", "fm/plotted", "--out", outFolder, "--width", "640", "--height", "400", "--json");
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("fm/plotted", json.RootElement.GetProperty("run").GetString());
        Assert.Equal(Url.FromLocalPath(outFolder).Value, json.RootElement.GetProperty("folder").GetString());
        Assert.Empty(json.RootElement.GetProperty("notes").EnumerateArray());
        var files = json.RootElement.GetProperty("files").EnumerateArray().ToList();
        // Aggregate charts by kind (accuracy, confidence, loss), then the scatter.
        Assert.Equal(["aggregates-accuracy.png", "aggregates-test_confidence_avg.png", "aggregates-loss.png", "embeddings-test-epoch2.png"],
            files.Select(f => Path.GetFileName(f.GetProperty("path").GetString())));
        foreach (var file in files)
        {
            Assert.Equal(["path", "url", "kind", "title", "description", "series", "points", "source", "width", "height"], file.EnumerateObject().Select(p => p.Name));
            Assert.Equal(640, file.GetProperty("width").GetInt32());
            AssertPng(file.GetProperty("path").GetString()!, 640, 400, minColours: 4);
        }
        var loss = files[2];
        Assert.Equal("aggregates", loss.GetProperty("kind").GetString());
        Assert.Equal(["test_loss_avg", "train_loss", "val_loss"], loss.GetProperty("series").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(9, loss.GetProperty("points").GetInt32());
        Assert.Contains("by epoch", loss.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(["test_accuracy_avg", "train_accuracy"], files[0].GetProperty("series").EnumerateArray().Select(s => s.GetString()));

        var scatter = files[3];
        Assert.Equal("embeddings", scatter.GetProperty("kind").GetString());
        Assert.Equal(reducedUrl, scatter.GetProperty("source").GetString());
        Assert.Equal(50, scatter.GetProperty("points").GetInt32());
        // The legend: the input table's class names, in label order.
        Assert.Equal(((Tlc.Schemas.ScalarSchema)table.Schema["label"]).ValueMap!.Names, scatter.GetProperty("series").EnumerateArray().Select(s => s.GetString()));
        Assert.Contains("embeddings_9_pca", scatter.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Contains("label of the input table", scatter.GetProperty("description").GetString(), StringComparison.Ordinal);
        // Every class present is drawn in its own colour.
        var colours = Colours(scatter.GetProperty("path").GetString()!);
        Assert.All(Category10, c => Assert.Contains(SKColor.Parse(c), colours));

        // The library call: --epoch picks among reduced tables only; an epoch without a reduction is named.
        var picked = await RunPlots.WriteAsync(context, "fm", "plotted", new RunPlotOptions { OutputFolder = Url.FromLocalPath(Path.Combine(_root.Path, "lib")), Epoch = 2, Stream = "test" });
        Assert.Equal(4, picked.Files.Count);
        Assert.Equal(PlotKind.Embeddings, picked.Files[^1].Kind);

        FailsWithOneLine(await Tlc("run", "plot", "fm/plotted", "--epoch", "1"), 1, "no metrics table with epoch 1; those with 2-D embeddings: test epoch 2 (embeddings_9_pca)");
        FailsWithOneLine(await Tlc("run", "plot", "fm/empty"), 1, "Run fm/empty has nothing to plot");
        FailsWithOneLine(await Tlc("run", "plot", "fm/missing"), 1, "No run fm/missing");
        FailsWithOneLine(await Tlc("run", "plot", "fm/plotted", "--width", "10"), 2, "--width and --height");
        Assert.False(Directory.Exists(Path.Combine(_root.Path, "projects", "fm", "runs", "empty", "plots")), "nothing is written for a run with nothing to plot");
    }

    [Fact(Timeout = 60_000)]
    public async Task RunPlot_Help_HasExample()
    {
        var help = await CliProcess.RunAsync(["run", "plot", "--help"]);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("Example: tlc run plot", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("--epoch", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void KindOf_SplitPrefixesAndAvgSuffix_ShareAChart()
    {
        Assert.Equal("loss", RunPlots.KindOf("train_loss"));
        Assert.Equal("loss", RunPlots.KindOf("val/loss"));
        Assert.Equal("loss", RunPlots.KindOf("test_loss_avg"));
        Assert.Equal("accuracy", RunPlots.KindOf("accuracy"));
        Assert.Equal("learning_rate", RunPlots.KindOf("learning_rate"));
        Assert.Equal("train", RunPlots.KindOf("train"));
    }

    private static void FailsWithOneLine(CliProcess.Result result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.StartsWith("tlc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }

    /// <summary>The file decodes as a PNG of the size asked and is not blank.</summary>
    private static void AssertPng(string path, int width, int height, int minColours)
    {
        Assert.True(File.Exists(path), $"{path} was not written");
        var bytes = File.ReadAllBytes(path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        using var bitmap = SKBitmap.Decode(bytes);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);
        var colours = Colours(path);
        Assert.True(colours.Count >= minColours, $"{path} has {colours.Count} distinct colours");
    }

    private static HashSet<SKColor> Colours(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        return [.. bitmap.Pixels];
    }
}
