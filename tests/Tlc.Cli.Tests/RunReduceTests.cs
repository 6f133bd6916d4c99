using System.Text.Json;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Testing;
using TorchSharp;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>tlc run reduce</c> on a real run: the trained Fashion-MNIST CNN's embeddings of 50 real test images collected live
/// for two epochs; the CLI connects to the silo this test process hosts.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class RunReduceTests : IDisposable
{
    private static readonly ModelSpec Model = new(ModelKinds.Factory, "fashion-mnist-cnn", Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value);

    private readonly TempRoot _root = new("run-reduce");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    [Fact(Timeout = 180_000)]
    public async Task RunReduce_UmapThenPca_NewRevisionsWithTheColumns_SameSeedSamePoints_BadValuesAreOneLine()
    {
        torch.set_num_threads(1);
        var folder = ClusterCliSupport.FashionMnistSubset(Path.Combine(_root.Path, "input", "fashion-mnist"), 5);
        using var table = await Table.FromImageFolderAsync(folder, new ImageFolderImportOptions
        {
            Project = "fm", Dataset = "fashion-mnist", Table = "test-50", Root = _root.Url, Settings = _root.Settings,
        });
        await using var connection = await ClusterConnection.ConnectAsync(_root.Settings);
        string[] metrics = new string[2];
        await using (var run = await Runs.InitAsync(connection.Context, "fm", "reduced"))
        {
            var collectors = CollectorRegistry.Default.Create([new("embeddings", """{"layers": [9], "dimensions": {"9": 128}}""")]);
            using var predictor = ModelRegistry.Default.CreatePredictor(Model, ModelContext.For(collectors, connection.Context.Adapters));
            for (var epoch = 0; epoch < 2; epoch++)
            {
                using var collected = await run.CollectMetricsAsync(table, predictor, collectors, new CollectOptions
                {
                    Split = "test", Constants = new Dictionary<string, object?> { ["epoch"] = epoch }, BatchSize = 50, ShardRows = 50,
                });
                metrics[epoch] = collected.Url.Value;
            }
            await run.CompleteAsync();
        }

        // UMAP by default, on the latest epoch: a new revision with embeddings_9_umap.
        var umap = await Tlc("run", "reduce", "fm/reduced", "--seed", "3", "--json");
        Assert.True(umap.ExitCode == 0, $"exit {umap.ExitCode}: {umap.Stderr}");
        using (var json = JsonDocument.Parse(umap.Stdout))
        {
            var root = json.RootElement;
            Assert.Equal("umap", root.GetProperty("method").GetString());
            Assert.Equal("embeddings_9", root.GetProperty("column").GetString());
            Assert.Equal("embeddings_9_umap", root.GetProperty("output_column").GetString());
            Assert.Equal(metrics[1], root.GetProperty("metrics_table").GetString());
            Assert.Equal(50, root.GetProperty("rows").GetInt32());
            Assert.Contains("seed 3", root.GetProperty("description").GetString(), StringComparison.Ordinal);
            using var revised = await Table.FromUrlAsync(new Url(root.GetProperty("revision").GetString()!));
            Assert.True(revised.Schema["embeddings_9_umap"] is EmbeddingSchema { Dimensions: 2 });
            var points = revised.ReadColumn("embeddings_9_umap").Select(v => (float[])v!).ToArray();
            Assert.All(points, p => Assert.True(p.All(float.IsFinite)));

            // The same seed on the first epoch (the same model, the same embeddings): the same points, bit for bit.
            var again = await Tlc("run", "reduce", "fm/reduced", "--epoch", "0", "--seed", "3", "--json");
            Assert.True(again.ExitCode == 0, $"exit {again.ExitCode}: {again.Stderr}");
            using var againJson = JsonDocument.Parse(again.Stdout);
            using var first = await Table.FromUrlAsync(new Url(againJson.RootElement.GetProperty("revision").GetString()!));
            Assert.Equal(points, first.ReadColumn("embeddings_9_umap").Select(v => (float[])v!).ToArray());
        }

        // PCA in 3-D, text output: the column and the revision; the new revision keeps the UMAP column.
        var pca = await Tlc("run", "reduce", "fm/reduced", "--method", "PCA", "--components", "3");
        Assert.True(pca.ExitCode == 0, $"exit {pca.ExitCode}: {pca.Stderr}");
        Assert.StartsWith("embeddings_9_pca: PCA of embeddings_9 (3-D, fitted on 50 rows).", pca.Stdout, StringComparison.Ordinal);
        using (var latest = await Table.LatestAsync(new Url(metrics[1]), cancellationToken: TestContext.Current.CancellationToken))
        {
            Assert.True(latest.Schema["embeddings_9_pca"] is EmbeddingSchema { Dimensions: 3 });
            Assert.Contains("embeddings_9_umap", latest.Schema.Names);
        }

        FailsWithOneLine(await Tlc("run", "reduce", "fm/reduced", "--method", "tsne"), 2, "--method must be umap or pca (got 'tsne')");
        FailsWithOneLine(await Tlc("run", "reduce", "fm/reduced", "--neighbors", "1"), 2, "--neighbors must be at least 2");
        FailsWithOneLine(await Tlc("run", "reduce", "fm/reduced", "--components", "4"), 2, "--components must be 2 or 3");
        FailsWithOneLine(await Tlc("run", "reduce", "fm/reduced", "--epoch", "7"), 1, "has no metrics table with an embedding column, epoch 7");
        FailsWithOneLine(await Tlc("run", "reduce", "fm/reduced", "--method", "umap"), 1, "already has a column 'embeddings_9_umap'");
        FailsWithOneLine(await Tlc("run", "reduce", "fm/missing"), 1, "No run fm/missing");
    }

    private static void FailsWithOneLine(CliProcess.Result result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.StartsWith("tlc: ", result.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.Trim().Split('\n'));
    }
}
