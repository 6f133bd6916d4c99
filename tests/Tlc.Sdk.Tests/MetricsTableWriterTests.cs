using System.Collections;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Storage;
using Tlc.Testing;
using TorchSharp;

namespace Tlc.Sdk.Tests;

/// <summary>One embedded silo (grain state on local disk in a fresh root) shared by the writer tests.</summary>
public sealed class EmbeddedClusterFixture : IAsyncLifetime
{
    private ClusterConnection? _connection;

    public TempRoot Root { get; } = new("writer");

    public ClusterConnection Connection => _connection ?? throw new InvalidOperationException("Not started.");

    public ClusterContext Context => Connection.Context;

    public async ValueTask InitializeAsync() => _connection = await ClusterConnection.ConnectAsync(Root.Settings);

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }
        Root.Dispose();
    }
}

/// <summary>
/// MetricsTableWriter and add_metrics through the sink of an embedded silo: chunks stream as they fill, publication
/// registers the table on the run, bad input fails with a clear error and publishes nothing, several writers (training
/// ranks) feed one sink, and drill-down joins metrics to input rows (along lineage too).
/// </summary>
public sealed class MetricsTableWriterTests(EmbeddedClusterFixture fixture) : IClassFixture<EmbeddedClusterFixture>
{
    private static readonly string[] Classes = ["cat", "dog", "bird"];

    private static readonly TableSchema LossAndPrediction = new()
    {
        ["loss"] = new Float32Schema(),
        ["predicted"] = new Int32Schema(),
    };

    private static int _tables;

    private async Task<Table> ForeignAsync(int rows)
    {
        var name = $"input-{Interlocked.Increment(ref _tables)}";
        return await Table.FromDictAsync(new Dictionary<string, IEnumerable>
        {
            ["name"] = Enumerable.Range(0, rows).Select(i => $"row{i}").ToArray(),
            ["label"] = Enumerable.Range(0, rows).Select(i => (long)(i % Classes.Length)).ToArray(),
        }, new ImportOptions
        {
            Project = "writer", Dataset = "data", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings,
            Schema = new Dictionary<string, ColumnSchema> { ["label"] = new CategoricalLabelSchema(Classes) },
        });
    }

    private Task<Run> RunAsync(string name) => Runs.InitAsync(fixture.Context, "writer", name, ifExists: RunIfExists.Overwrite);

    private static Dictionary<string, IList> Batch(IReadOnlyList<long> ids) => new()
    {
        ["example_id"] = ids.ToArray(),
        ["loss"] = ids.Select(i => i * 0.5f).ToArray(),
        ["predicted"] = ids.Select(i => (int)(i % 3)).ToArray(),
    };

    private static long[] Range(long start, int count) => Enumerable.Range(0, count).Select(i => start + i).ToArray();

    private static int ChunkFiles(MetricsTableWriter writer) =>
        Directory.Exists(Path.Combine(writer.Url.LocalPath, "chunks")) ? Directory.GetFiles(Path.Combine(writer.Url.LocalPath, "chunks")).Length : 0;

    private static bool Published(Url metricsUrl) => File.Exists(Path.Combine(metricsUrl.LocalPath, TableObject.FileName));

    private static async Task AssertNothingPublishedAsync(Run run, Url metricsUrl)
    {
        Assert.False(Published(metricsUrl), $"{metricsUrl} has an object file");
        Assert.Empty((await run.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddBatch_RowsStreamIntoChunksAsTheyFill_PublishedTableHasEveryRow()
    {
        using var foreign = await ForeignAsync(400);
        await using var run = await RunAsync("stream");
        Table published;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction, "train",
            options: new MetricsWriterOptions { ChunkRows = 100 }))
        {
            var files = new List<int>();
            for (var b = 0; b < 10; b++)
            {
                await writer.AddBatchAsync(Batch(Range(b * 35, 35)));
                files.Add(ChunkFiles(writer));
            }
            // A chunk is written (and committed) as soon as 100 rows are buffered: after batches 3, 6 and 9, not at the end.
            Assert.Equal([0, 0, 1, 1, 1, 2, 2, 2, 3, 3], files);
            Assert.False(Published(writer.Url));
            Assert.Equal(350, writer.RowCount);
            published = await writer.PublishAsync();
        }
        using (published)
        {
            Assert.Equal(350, published.RowCount);
            Assert.Equal([105L, 105, 105, 35], published.Object.Chunks.Select(c => c.Rows));
            Assert.True(published.Object.Chunks.All(c => c.Rows < 100 + 35), "memory is bounded by a chunk plus a batch");
            Assert.Equal(Range(0, 350), published.Rows.Select(r => (long)r["example_id"]!).Order());
            Assert.Equal(17.5f, (float)published.Rows[35]["loss"]!);
            Assert.Equal(LossAndPrediction.Names.Prepend("example_id"), published.Schema.Names);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Publish_RegistersTheTableOnTheRun_WithItsForeignTable()
    {
        using var foreign = await ForeignAsync(50);
        await using var run = await RunAsync("register");
        await using var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction, "val", new Dictionary<string, object?> { ["epoch"] = 4 });
        await writer.AddBatchAsync(Batch(Range(10, 20)));
        using var metrics = await writer.PublishAsync();

        var info = await run.GetInfoAsync();
        var registered = Assert.Single(info.MetricsTables);
        Assert.Equal(metrics.Url.Value, registered.Url);
        Assert.Equal(20, registered.RowCount);
        Assert.Equal("val", registered.StreamName);
        Assert.Equal(foreign.Url.Value, registered.ForeignTableUrl);
        Assert.Contains(foreign.Url.Value, info.Inputs);
        Assert.Equal(4, metrics.Rows[0]["epoch"]);
        using var resolved = await MetricsView.ForeignTableAsync(metrics);
        Assert.Equal(foreign.Object.Id, resolved.Object.Id);
        Assert.Same(metrics, await writer.PublishAsync()); // idempotent
    }

    [Fact(Timeout = 60_000)]
    public async Task AddMetrics_OneToOneColumns_AddsExampleIds()
    {
        using var foreign = await ForeignAsync(30);
        await using var run = await RunAsync("add-metrics");
        using var metrics = await run.AddMetricsAsync(new Dictionary<string, IList>
        {
            ["loss"] = Enumerable.Range(0, 30).Select(i => i * 0.1f).ToArray(),
            ["predicted"] = Enumerable.Range(0, 30).Select(i => i % 3).ToArray(),
        }, foreign, constants: new Dictionary<string, object?> { ["epoch"] = 1 });

        Assert.Equal(30, metrics.RowCount);
        Assert.Equal(Range(0, 30), metrics.Rows.Select(r => (long)r["example_id"]!));
        Assert.Equal(2.9f, (float)metrics.Rows[29]["loss"]!, 1e-6f);
        Assert.IsType<ExampleIdSchema>(metrics.Schema["example_id"]);
        Assert.IsType<EpochSchema>(metrics.Schema["epoch"]);
        Assert.Single((await run.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddMetrics_LengthMismatch_ClearError_NothingPublished()
    {
        using var foreign = await ForeignAsync(30);
        await using var run = await RunAsync("add-mismatch");
        var columns = await Assert.ThrowsAsync<ArgumentException>(() => run.AddMetricsAsync(new Dictionary<string, IList>
        {
            ["loss"] = new float[30],
            ["predicted"] = new int[29],
        }, foreign));
        Assert.Contains("loss=30", columns.Message, StringComparison.Ordinal);
        Assert.Contains("predicted=29", columns.Message, StringComparison.Ordinal);

        var rows = await Assert.ThrowsAsync<ArgumentException>(() => run.AddMetricsAsync(new Dictionary<string, IList> { ["loss"] = new float[29] }, foreign));
        Assert.Contains("29 rows", rows.Message, StringComparison.Ordinal);
        Assert.Contains("example_id", rows.Message, StringComparison.Ordinal);
        Assert.Empty((await run.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddBatch_MissingExampleId_ClearError_NothingPublished()
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync("no-ids");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction))
        {
            url = writer.Url;
            await writer.AddBatchAsync(Batch(Range(0, 5)));
            var error = await Assert.ThrowsAsync<ArgumentException>(() => writer.AddBatchAsync(new Dictionary<string, IList> { ["loss"] = new float[3], ["predicted"] = new int[3] }));
            Assert.Contains("'example_id'", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => writer.AddBatchAsync(Batch(Range(5, 5)))); // the writer failed
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(20L)]
    [InlineData(-1L)]
    public async Task AddBatch_ExampleIdOutOfRange_ClearError_NothingPublished(long id)
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync($"range{id}");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction))
        {
            url = writer.Url;
            var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => writer.AddBatchAsync(Batch([3, 4, id])));
            Assert.Contains($"example_id {id} (row 2, batch row 2)", error.Message, StringComparison.Ordinal);
            Assert.Contains("0..19", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddBatch_DuplicateExampleIdWithinABatch_ClearError_NothingPublished()
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync("dup-batch");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction))
        {
            url = writer.Url;
            await writer.AddBatchAsync(Batch([1, 7, 3, 7]));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.PublishAsync());
            Assert.Contains("example_id 7 appears twice", error.Message, StringComparison.Ordinal);
            Assert.Contains("Nothing is published", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task DuplicateExampleIdAcrossChunks_SinkNamesBothParts_NothingPublished()
    {
        using var foreign = await ForeignAsync(40);
        await using var run = await RunAsync("dup-chunks");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction, options: new MetricsWriterOptions { ChunkRows = 10 }))
        {
            url = writer.Url;
            await writer.AddBatchAsync(Batch(Range(0, 10)));  // part 0
            await writer.AddBatchAsync(Batch(Range(20, 10))); // part 1
            await writer.AddBatchAsync(Batch(Range(5, 10)));  // part 2: 5..14 again
            Assert.Equal(3, ChunkFiles(writer));
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.PublishAsync());
            Assert.Contains("example_id 5 appears in part 0 and part 2", error.Message, StringComparison.Ordinal);
            Assert.Contains("nothing is published", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddBatch_ColumnLengthsDiffer_ClearError_NothingPublished()
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync("batch-lengths");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction))
        {
            url = writer.Url;
            var error = await Assert.ThrowsAsync<ArgumentException>(() => writer.AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = new long[] { 0, 1, 2 },
                ["loss"] = new float[] { 1, 2 },
                ["predicted"] = new int[] { 0, 1, 2 },
            }));
            Assert.Contains("example_id=3, loss=2", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task AddBatch_WrongColumnType_ErrorNamesRowAndColumn_NothingPublished()
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync("types");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction))
        {
            url = writer.Url;
            await writer.AddBatchAsync(Batch(Range(0, 5)));
            var error = await Assert.ThrowsAsync<RowValidationException>(() => writer.AddBatchAsync(new Dictionary<string, IList>
            {
                ["example_id"] = new long[] { 5, 6, 7 },
                ["loss"] = new object?[] { 0.5f, 0.25f, "high" },
                ["predicted"] = new int[] { 0, 1, 2 },
            }));
            Assert.Equal(7, error.Row); // the writer's row 7: batch row 2 after five rows
            Assert.Equal("loss", error.Column);
            Assert.Contains("row 7, column 'loss'", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task UnknownRunOrSink_ClearErrors()
    {
        var unknown = await Assert.ThrowsAsync<KeyNotFoundException>(() => Runs.OpenAsync(fixture.Context, "writer", "never-started"));
        Assert.Contains("'writer/never-started'", unknown.Message, StringComparison.Ordinal);

        using var foreign = await ForeignAsync(10);
        await using var run = await RunAsync("owner-run");
        await using var other = await RunAsync("other-run");
        var sink = await Assert.ThrowsAsync<KeyNotFoundException>(() => run.AttachMetricsWriterAsync("no-such-sink"));
        Assert.Contains("'no-such-sink'", sink.Message, StringComparison.Ordinal);

        await using var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction);
        var wrongRun = await Assert.ThrowsAsync<InvalidOperationException>(() => other.AttachMetricsWriterAsync(writer.SinkId));
        Assert.Contains("writer/owner-run", wrongRun.Message, StringComparison.Ordinal);
        Assert.Contains("writer/other-run", wrongRun.Message, StringComparison.Ordinal);
        await writer.AddBatchAsync(Batch(Range(0, 10)));
    }

    [Fact(Timeout = 60_000)]
    public async Task ConstantCollidingWithAColumn_ClearError_NothingPublished()
    {
        using var foreign = await ForeignAsync(10);
        await using var run = await RunAsync("constants");
        var declared = await Assert.ThrowsAsync<ArgumentException>(() => run.CreateMetricsWriterAsync(foreign, LossAndPrediction, constants: new Dictionary<string, object?> { ["loss"] = 1.0f }));
        Assert.Contains("'loss'", declared.Message, StringComparison.Ordinal);

        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction, constants: new Dictionary<string, object?> { ["epoch"] = 2 }))
        {
            url = writer.Url;
            var batch = Batch(Range(0, 3));
            batch["epoch"] = new[] { 2, 2, 2 };
            var perBatch = await Assert.ThrowsAsync<ArgumentException>(() => writer.AddBatchAsync(batch));
            Assert.Contains("'epoch' is a constant", perBatch.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 90_000)]
    public async Task SeveralRanksFeedOneSink_EachIdExactlyOnce_PublishedOnceByTheOwner()
    {
        const int rows = 600;
        const int ranks = 3;
        using var foreign = await ForeignAsync(rows);
        await using var owner = await RunAsync("ranks");
        await using var writer = await owner.CreateMetricsWriterAsync(foreign, LossAndPrediction, "train", new Dictionary<string, object?> { ["epoch"] = 1 },
            new MetricsWriterOptions { RequireFullCoverage = true, ChunkRows = 64 });

        // Ranks 1 and 2 are other processes: their own cluster connections (clients of the running silo), the run opened
        // by name, the sink attached by id. Each rank takes every third example.
        async Task RankAsync(int rank)
        {
            await using var connection = await ClusterConnection.ConnectAsync(fixture.Root.Settings);
            Assert.False(connection.HostsSilo);
            await using var run = await Runs.OpenAsync(connection.Context, "writer", "ranks");
            await using var attached = await run.AttachMetricsWriterAsync(writer.SinkId, new MetricsWriterOptions { ChunkRows = 64 });
            Assert.False(attached.IsOwner);
            Assert.Equal(writer.Url, attached.Url);
            var mine = Range(0, rows).Where(i => i % ranks == rank).ToArray();
            foreach (var chunk in mine.Chunk(50))
            {
                await attached.AddBatchAsync(Batch(chunk));
            }
            await Assert.ThrowsAsync<InvalidOperationException>(() => attached.PublishAsync());
            await attached.CommitAsync();
        }
        var others = Task.WhenAll(RankAsync(1), RankAsync(2));
        foreach (var chunk in Range(0, rows).Where(i => i % ranks == 0).Chunk(50))
        {
            await writer.AddBatchAsync(Batch(chunk));
        }
        await others;
        using var metrics = await writer.PublishAsync();

        Assert.Equal(rows, metrics.RowCount);
        Assert.Equal(Range(0, rows), metrics.Rows.Select(r => (long)r["example_id"]!).Order());
        Assert.True(metrics.Rows.All(r => (float)r["loss"]! == (long)r["example_id"]! * 0.5f && (int)r["epoch"]! == 1));
        Assert.Single((await owner.GetInfoAsync()).MetricsTables);
    }

    [Fact(Timeout = 90_000)]
    public async Task SeveralRanks_OneRankMissing_FullCoverageNamesTheMissingId_NothingPublished()
    {
        using var foreign = await ForeignAsync(90);
        await using var run = await RunAsync("rank-missing");
        Url url;
        await using (var writer = await run.CreateMetricsWriterAsync(foreign, LossAndPrediction, options: new MetricsWriterOptions { RequireFullCoverage = true }))
        {
            url = writer.Url;
            await using (var rank1 = await run.AttachMetricsWriterAsync(writer.SinkId))
            {
                await rank1.AddBatchAsync(Batch(Range(0, 90).Where(i => i % 3 == 1).ToArray()));
            }
            await writer.AddBatchAsync(Batch(Range(0, 90).Where(i => i % 3 == 0).ToArray()));
            // Rank 2 never wrote: ids 2, 5, 8, ... are missing.
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => writer.PublishAsync());
            Assert.Contains("example_id 2 is missing", error.Message, StringComparison.Ordinal);
        }
        await AssertNothingPublishedAsync(run, url);
    }

    [Fact(Timeout = 60_000)]
    public async Task JoinAsync_DrillDown_ToTheForeignRevisionAndAlongLineage_DeletedRowsDropOut()
    {
        using var foreign = await ForeignAsync(20);
        await using var run = await RunAsync("join");
        using var metrics = await run.AddMetricsAsync(new Dictionary<string, IList>
        {
            ["example_id"] = new long[] { 2, 3, 7, 8, 15 },
            ["loss"] = new[] { 0.2f, 0.3f, 0.7f, 0.8f, 1.5f },
        }, foreign);

        var joined = await MetricsView.JoinAsync(metrics);
        Assert.Equal([2L, 3, 7, 8, 15], joined.Select(s => s.ExampleId));
        Assert.All(joined, s => Assert.Equal($"row{s.ExampleId}", s.Input!["name"]));
        Assert.All(joined, s => Assert.Equal(s.ExampleId, s.Row));

        // A newer revision: rows 3 and 7 deleted. Their metrics drop out; the rest map to their new row numbers.
        using var edited = await foreign.Edit().DeleteRows([3, 7]).CommitAsync();
        var along = await MetricsView.JoinAsync(metrics, edited);
        Assert.Equal([2L, 3, 7, 8, 15], along.Select(s => s.ExampleId));
        Assert.Null(along.Single(s => s.ExampleId == 3).Input);
        Assert.Null(along.Single(s => s.ExampleId == 7).Row);
        Assert.Equal([2L, 6, 13], along.Where(s => s.Input is not null).Select(s => s.Row!.Value));
        Assert.All(along.Where(s => s.Input is not null), s => Assert.Equal($"row{s.ExampleId}", s.Input!["name"]));
        Assert.All(along.Where(s => s.Input is not null), s => Assert.Equal($"row{s.ExampleId}", edited.Rows[s.Row!.Value]["name"]));
    }

    [Fact(Timeout = 120_000)]
    public async Task MostConfidentlyWrong_FashionMnistWithTheTrainedCnn_PredictedIsNotTheLabel_ByConfidence()
    {
        torch.set_num_threads(1);
        using var all = await Table.FromImageFolderAsync(Fixtures.FashionMnistTestPngs, new ImageFolderImportOptions
        {
            Project = "fm", Dataset = "fashion-mnist", Table = "test", Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        });
        using var table = await all.SubsetAsync([(0, 512)], new DerivedTableOptions { Name = "test-512", IfExists = IfExists.Reuse });
        await using var run = await RunAsync("confidently-wrong");
        var collectors = CollectorRegistry.Default.Create([new CollectorSpec("classification", $$"""{"classes": {{System.Text.Json.JsonSerializer.Serialize(FashionMnist.Classes)}}}""")]);
        using var predictor = ModelRegistry.Default.CreatePredictor(
            new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value),
            ModelContext.For(collectors, fixture.Context.Adapters));
        using var metrics = await run.CollectMetricsAsync(table, predictor, collectors, new CollectOptions { Split = "test", BatchSize = 128 });

        // The demo's query: rows whose prediction is not the label, most confident first, with the input row for each.
        var predictedNames = ((ScalarSchema)metrics.Schema["predicted"]).ValueMap!;
        var labelNames = ((ScalarSchema)table.Schema["label"]).ValueMap!;
        var wrong = (await MetricsView.JoinAsync(metrics, table))
            .Where(s => predictedNames[(int)s.Metrics["predicted"]!].InternalName != labelNames[(int)s.Input!["label"]!].InternalName)
            .OrderByDescending(s => (float)s.Metrics["confidence"]!)
            .ToList();

        var accuracy = metrics.Rows.Sum(r => (double)(float)r["accuracy"]!);
        Assert.Equal(512 - (int)accuracy, wrong.Count);
        Assert.InRange(wrong.Count, 1, 512 / 4); // the trained CNN is right on most of the split
        Assert.True(wrong.Select(s => (float)s.Metrics["confidence"]!).SequenceEqual(wrong.Select(s => (float)s.Metrics["confidence"]!).OrderDescending()));
        Assert.All(wrong, s => Assert.Equal(0f, (float)s.Metrics["accuracy"]!));
        Assert.True((float)wrong[0].Metrics["confidence"]! > 0.5f, "the top of the list is confidently wrong");
        Assert.EndsWith(".png", (string)wrong[0].Input!["image"]!, StringComparison.Ordinal);
    }
}
