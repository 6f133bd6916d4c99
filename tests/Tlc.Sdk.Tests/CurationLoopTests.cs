using System.Collections;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Sampling;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Sdk.Tests;

/// <summary>
/// The curation loop end to end on real data: ranks evaluate Fashion-MNIST with the trained CNN and write per-sample
/// losses into one table; the worst samples are found by that metric, their weights set to 0 as a new revision; the
/// next training run reads the latest revision and never samples them.
/// </summary>
public sealed class CurationLoopTests(EmbeddedClusterFixture fixture) : IClassFixture<EmbeddedClusterFixture>
{
    [Fact(Timeout = 180_000)]
    public async Task RanksWriteLosses_WorstSamplesWeightedZeroAsARevision_NextRunOnLatestNeverSamplesThem()
    {
        var ct = TestContext.Current.CancellationToken;
        using var test = await FashionMnist.ImportIdxAsync("/usr/share/datasets/fashion-mnist", "t10k", new ImportOptions
        {
            Project = "curation", Dataset = "fashion-mnist", Table = "test", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        }, cancellationToken: ct);
        using var model = new FashionMnistCnn();
        model.load(Fixtures.FashionMnistCnnWeights);
        model.eval();
        var preprocess = FashionMnist.Preprocessor();

        // 1. Two ranks, each its exact share of the rows, write per-sample loss into one table of the run.
        await using var run = await Runs.InitAsync(fixture.Context, "curation", "evaluate", ifExists: RunIfExists.Overwrite, cancellationToken: ct);
        MetricsTableWriter? last = null;
        for (var rank = 0; rank < 2; rank++)
        {
            var info = new RankInfo(rank, 2, rank, "curation-launch", $"attempt-{rank}");
            await using var writer = await run.OpenRankWriterAsync(test, new TableSchema { ["loss"] = new Float32Schema() }, "eval", 0, info,
                new MetricsWriterOptions { RequireFullCoverage = true }, ct);
            var share = Samplers.ExactEvaluation(test.RowCount, rank, 2).ToArray();
            foreach (var batch in share.Chunk(500))
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var inputs = stack(batch.Select(i => preprocess(test.Sample(i))).ToArray());
                var labels = tensor(batch.Select(i => Convert.ToInt64(test.Rows[(int)i]["label"], System.Globalization.CultureInfo.InvariantCulture)).ToArray());
                var losses = nn.functional.cross_entropy(model.call(inputs), labels, reduction: nn.Reduction.None).data<float>().ToArray();
                await writer.AddBatchAsync(new Dictionary<string, IList> { ["example_id"] = batch, ["loss"] = losses }, ct);
            }
            last = writer;
        }
        using var metrics = await last!.WaitForTableAsync(ct);
        Assert.Equal(test.RowCount, metrics.RowCount);

        // 2. The 50 samples the model finds hardest, by the metric.
        var worst = Enumerable.Range(0, (int)metrics.RowCount).Select(r => metrics.Rows[r])
            .OrderByDescending(row => (float)row["loss"]!).Take(50).Select(row => (long)row["example_id"]!).ToArray();

        // 3. Their weights set to 0: a new revision of the input table.
        using var edited = await test.Edit().SetWeights(worst, 0f).Describe("weights of the 50 highest-loss samples set to 0").CommitAsync(ct);

        // 4. The next run reads the latest revision: those samples are never drawn, the rest are.
        using var latest = await Table.LatestAsync(test.Url, cancellationToken: ct);
        Assert.Equal(edited.Url, latest.Url);
        var weights = Samplers.Weights(latest);
        var drawn = Samplers.Weighted(weights, seed: 1, samples: 50_000).ToHashSet();
        Assert.Empty(drawn.Intersect(worst));
        Assert.True(drawn.Count > 9_000, $"{drawn.Count} distinct rows drawn");
        using var retrained = new FashionMnistCnn();
        var epochs = ClassifierTrainer.Train(retrained, latest, preprocess, new ClassifierTrainerOptions
        {
            Epochs = 1, Sampling = SamplingMode.Weighted, SamplesPerEpoch = 2_000, BatchSize = 100, Seed = 3, DecodeThreads = 2,
        }, cancellationToken: ct);
        Assert.True(double.IsFinite(epochs[0].Loss) && epochs[0].Samples == 2_000, $"{epochs[0]}");
    }
}
