using System.Collections;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Arrow;
using Tlc.Testing;
using static TorchSharp.torch;
using Table = Tlc.Tables.Table;

namespace Tlc.Metrics.Tests;

public sealed class MetricsRunnerTests(FashionMnistTestSplit split) : IClassFixture<FashionMnistTestSplit>, IDisposable
{
    private readonly TempRoot _root = new("runner");

    public void Dispose() => _root.Dispose();

    private static ModelSpec CnnSpec => new(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(Fixtures.FashionMnistCnnWeights).Value);

    private static IReadOnlyList<IMetricsCollector> Collectors() =>
    [
        new ClassificationCollector(FashionMnist.Classes),
        new EmbeddingsCollector([FashionMnistCnn.EmbeddingLayer], EmbeddingReshape.Mean, new Dictionary<int, int> { [FashionMnistCnn.EmbeddingLayer] = FashionMnistCnn.EmbeddingSize }),
    ];

    private static async Task<List<RecordBatch>> RunAsync(Table table, long start, long end, IPredictor predictor, IReadOnlyList<IMetricsCollector> collectors, MetricsRunOptions options)
    {
        var batches = new List<RecordBatch>();
        await foreach (var batch in MetricsRunner.RunAsync(table, start, end, predictor, collectors, options, TestContext.Current.CancellationToken))
        {
            batches.Add(batch);
        }
        return batches;
    }

    private static long[] ExampleIds(IEnumerable<RecordBatch> batches) =>
        [.. batches.SelectMany(b => ((Int64Array)b.Column(MetricsRunner.ExampleIdColumn)).Values.ToArray())];

    private static float[] Floats(IEnumerable<RecordBatch> batches, string column) =>
        [.. batches.SelectMany(b => ((FloatArray)b.Column(column)).Values.ToArray())];

    /// <summary>Every buffer of an array and its children, for bit-for-bit comparisons.</summary>
    private static byte[] Bytes(IArrowArray array)
    {
        var bytes = new List<byte>();
        void Add(ArrayData data)
        {
            foreach (var buffer in data.Buffers)
            {
                bytes.AddRange(buffer.Span.ToArray());
            }
            foreach (var child in data.Children ?? [])
            {
                Add(child);
            }
        }
        Add(array.Data);
        return [.. bytes];
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_FashionMnistTestSplit_AccuracyEqualsAnIndependentEvaluationAndTheWriterTakesTheBatches()
    {
        var table = split.Table;
        var collectors = Collectors();
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec, ModelContext.For(collectors));
        var constants = new Dictionary<string, object?> { ["epoch"] = 2, ["split"] = "test" };
        var options = new MetricsRunOptions { BatchSize = 256, DecodeThreads = 2, Constants = constants };
        var schema = MetricsRunner.OutputSchema(table.Schema, collectors, constants);

        var batches = await RunAsync(table, 0, table.RowCount, predictor, collectors, options);

        // 10,000 rows, each example id once, in order; batches of 256.
        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => (long)i), ExampleIds(batches));
        Assert.All(batches.SkipLast(1), b => Assert.Equal(256, b.Length));
        Assert.All(batches, b => Assert.Equal(ArrowSchemas.ToArrowSchema(schema).FieldsList.Select(f => f.Name), b.Schema.FieldsList.Select(f => f.Name)));

        // The same accuracy as a plain TorchSharp loop over the IDX pixels of the same images.
        var accuracy = Floats(batches, "accuracy").Average(v => (double)v);
        var independent = IndependentAccuracy(table);
        Assert.Equal(independent, accuracy, 1e-6);
        Assert.True(accuracy >= 0.80, $"accuracy {accuracy}");
        var report = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(Fixtures.FashionMnistCnnWeights, ".json")))!;
        Assert.Equal((double)report["test_accuracy"]!, accuracy, 1e-6);

        // Loss and confidence are sane; embeddings have 128 values.
        Assert.All(Floats(batches, "loss"), l => Assert.True(l >= 0 && float.IsFinite(l)));
        Assert.All(Floats(batches, "confidence"), c => Assert.InRange(c, 0.1f, 1f));
        Assert.Equal(128, ((FixedSizeListArray)batches[0].Column("embeddings_9")).Values.Length / batches[0].Length);

        // The table writer takes the record batches as they are.
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema,
            Project = "p",
            Dataset = "metrics",
            Table = "m",
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
        }, TestContext.Current.CancellationToken);
        foreach (var batch in batches)
        {
            writer.AddRecordBatch(batch);
        }
        using var written = await writer.FinalizeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(10_000, written.RowCount);
        Assert.IsType<EpochSchema>(written.Schema["epoch"]);
        Assert.Equal(FashionMnist.Classes, Assert.IsType<CategoricalLabelSchema>(written.Schema["predicted"]).Classes);
        Assert.Equal(2, written.Rows[9_999]["epoch"]);
        Assert.Equal("test", written.Rows[0]["split"]);
        Assert.Equal(accuracy, Enumerable.Range(0, 10_000).Average(i => (double)(float)written.Rows[i]["accuracy"]!), 1e-9);
    }

    /// <summary>Accuracy of the fixture CNN over the table's images, read from the IDX files by file name (no table decoding, no runner).</summary>
    private static double IndependentAccuracy(Table table)
    {
        using var model = new FashionMnistCnn();
        model.load(Fixtures.FashionMnistCnnWeights);
        model.eval();
        var indices = Enumerable.Range(0, table.Count).Select(r => TestTables.IdxIndexOf(table, r)).ToArray();
        long correct = 0;
        using var noGrad = no_grad();
        for (var at = 0; at < indices.Length; at += 500)
        {
            using var scope = NewDisposeScope();
            var chunk = indices.AsSpan(at, Math.Min(500, indices.Length - at)).ToArray();
            var input = tensor(chunk.SelectMany(i => TestTables.Pixels(i).Select(p => p / 255f)).ToArray(), [chunk.Length, 1, 28, 28]);
            var labels = tensor(chunk.Select(i => (long)TestTables.Label(i)).ToArray());
            correct += model.call(input).argmax(1).eq(labels).sum().item<long>();
        }
        return (double)correct / indices.Length;
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_TwiceOnTheSameRows_GivesIdenticalValues()
    {
        var collectors = Collectors();
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec, ModelContext.For(collectors));
        var options = new MetricsRunOptions { BatchSize = 100, DecodeThreads = 2 };

        var first = await RunAsync(split.Table, 1_000, 3_000, predictor, collectors, options);
        var second = await RunAsync(split.Table, 1_000, 3_000, predictor, collectors, options);

        Assert.Equal(Enumerable.Range(1_000, 2_000).Select(i => (long)i), ExampleIds(first));
        Assert.Equal(first.Count, second.Count);
        for (var b = 0; b < first.Count; b++)
        {
            for (var c = 0; c < first[b].ColumnCount; c++)
            {
                Assert.Equal(Bytes(first[b].Column(c)), Bytes(second[b].Column(c)));
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_ConcurrentRangesOnASharedInferenceThread_SameBytesAsOneRangeAtATime()
    {
        var collectors = Collectors();
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec, ModelContext.For(collectors));
        var alone = new MetricsRunOptions { BatchSize = 100, DecodeThreads = 2 };
        var expected = new[] { await RunAsync(split.Table, 0, 1_000, predictor, collectors, alone), await RunAsync(split.Table, 1_000, 2_000, predictor, collectors, alone) };
        using var inference = new InferenceThread();
        var shared = new MetricsRunOptions { BatchSize = 100, DecodeThreads = 2, Inference = inference };

        // Two ranges at once (as two worker slots would run two shards), their batches interleaved on one thread.
        var actual = await Task.WhenAll(
            Task.Run(() => RunAsync(split.Table, 0, 1_000, predictor, collectors, shared)),
            Task.Run(() => RunAsync(split.Table, 1_000, 2_000, predictor, collectors, shared)));

        for (var r = 0; r < 2; r++)
        {
            Assert.Equal(ExampleIds(expected[r]), ExampleIds(actual[r]));
            for (var b = 0; b < expected[r].Count; b++)
            {
                for (var c = 0; c < expected[r][b].ColumnCount; c++)
                {
                    Assert.Equal(Bytes(expected[r][b].Column(c)), Bytes(actual[r][b].Column(c)));
                }
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_ExcludeZeroWeights_SkipsZeroWeightRowsOnly()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 40);
        using var edited = await table.Edit().SetWeights([1, 5, 6, 39], 0f).SetWeights([2], 2.5f).CommitAsync(TestContext.Current.CancellationToken);
        var collectors = new IMetricsCollector[] { new ClassificationCollector(FashionMnist.Classes) };
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec);

        var excluded = await RunAsync(edited, 0, 40, predictor, collectors, new MetricsRunOptions { BatchSize = 16, ExcludeZeroWeights = true });
        var all = await RunAsync(edited, 0, 40, predictor, collectors, new MetricsRunOptions { BatchSize = 16 });
        var range = await RunAsync(edited, 3, 7, predictor, collectors, new MetricsRunOptions { BatchSize = 16, ExcludeZeroWeights = true });

        Assert.Equal(Enumerable.Range(0, 40).Where(i => i is not (1 or 5 or 6 or 39)).Select(i => (long)i), ExampleIds(excluded));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), ExampleIds(all));
        Assert.Equal([3L, 4], ExampleIds(range));
        // The same rows give the same values whether others are left out or not.
        var allLoss = Floats(all, "loss");
        Assert.Equal(ExampleIds(excluded).Select(i => allLoss[i]), Floats(excluded, "loss"));
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_Cancelled_StopsPromptlyAndRunsNoMoreBatches()
    {
        var calls = 0;
        var counting = new FunctionalCollector(
            (b, _) =>
            {
                Interlocked.Increment(ref calls);
                return new Dictionary<string, IList> { ["n"] = Enumerable.Repeat(1, b.Count).ToArray() };
            },
            new Dictionary<string, ColumnSchema> { ["n"] = new Int32Schema() });
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var received = 0;
        var watch = new Stopwatch();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in MetricsRunner.RunAsync(split.Table, 0, split.Table.RowCount, predictor, [counting], new MetricsRunOptions { BatchSize = 32, DecodeThreads = 2 }, cts.Token))
            {
                if (++received == 2)
                {
                    watch.Start();
                    await cts.CancelAsync();
                }
            }
        });
        watch.Stop();

        Assert.Equal(2, received);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {watch.Elapsed}");
        var after = Volatile.Read(ref calls);
        Assert.True(after < 10, $"{after} batches ran for 2 received");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(after, Volatile.Read(ref calls)); // the inference thread has stopped
        using var input = zeros(1, 1, 28, 28);
        using var output = predictor.Predict(input); // and released the predictor
        Assert.Equal([1L, 10], output.Forward.shape);
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_LeftEarly_StopsTheThreads()
    {
        var calls = 0;
        var counting = new FunctionalCollector(
            (b, _) =>
            {
                Interlocked.Increment(ref calls);
                return new Dictionary<string, IList> { ["n"] = new int[b.Count] };
            },
            new Dictionary<string, ColumnSchema> { ["n"] = new Int32Schema() });
        using var predictor = new ModelRegistry().CreatePredictor(CnnSpec);

        await foreach (var batch in MetricsRunner.RunAsync(split.Table, 0, split.Table.RowCount, predictor, [counting], new MetricsRunOptions { BatchSize = 32 }, TestContext.Current.CancellationToken))
        {
            Assert.Equal(32, batch.Length);
            break;
        }
        var after = Volatile.Read(ref calls);
        await Task.Delay(300, TestContext.Current.CancellationToken);

        Assert.True(after < 10, $"{after} batches ran for 1 received");
        Assert.Equal(after, Volatile.Read(ref calls));
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_PreprocessFails_NamesTheRowAndTheTable()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 20);
        using var model = new FashionMnistCnn();
        using var predictor = new Predictor(model, preprocess: s => s.Index == 13 ? throw new FormatException("bad pixels") : FashionMnist.Preprocess(s));

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(table, 0, 20, predictor, [new ClassificationCollector(FashionMnist.Classes)], new MetricsRunOptions { BatchSize = 8 }));

        Assert.Contains($"Row 13 of {table.Url}: bad pixels", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task RunAsync_CollectorValueOfTheWrongType_NamesTheExampleAndTheColumn()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 6);
        using var model = new FashionMnistCnn();
        using var predictor = new Predictor(model, preprocess: FashionMnist.Preprocess);
        var wrong = new FunctionalCollector(
            (b, _) => new Dictionary<string, IList> { ["score"] = b.ExampleIds.Select(i => i == 4 ? (object)"high" : 0.5f).ToList() },
            new Dictionary<string, ColumnSchema> { ["score"] = new Float32Schema() });

        var e = await Assert.ThrowsAsync<RowValidationException>(() => RunAsync(table, 0, 6, predictor, [wrong], new MetricsRunOptions { BatchSize = 4 }));

        Assert.Equal(4, e.Row);
        Assert.Equal("score", e.Column);
        Assert.Contains("expected float32, got string \"high\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_CollectorLayerNotCaptured_IsRefusedUpFront()
    {
        using var table = await TestTables.FashionMnistAsync(_root, 2);
        using var model = new FashionMnistCnn();
        using var predictor = new Predictor(model, layers: [8]);

        var e = Assert.Throws<ArgumentException>(() => MetricsRunner.RunAsync(table, 0, 2, predictor, [new EmbeddingsCollector([9])], new MetricsRunOptions(), TestContext.Current.CancellationToken));

        Assert.Contains("reads layers 9, which the predictor does not capture (it captures: 8)", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => MetricsRunner.RunAsync(table, 1, 3, predictor, [], new MetricsRunOptions(), TestContext.Current.CancellationToken));
    }

    [Fact]
    public void OutputSchema_IsExampleIdThenCollectorColumnsThenConstants()
    {
        var input = new TableSchema { ["image"] = new ImageSchema(), ["label"] = new CategoricalLabelSchema(FashionMnist.Classes) };
        var schema = MetricsRunner.OutputSchema(input, Collectors(), new Dictionary<string, object?> { ["epoch"] = 3, ["lr"] = 0.01, ["run"] = "a", ["big"] = 1L << 40, ["flag"] = true, ["small"] = 5L });

        Assert.Equal(["example_id", "loss", "predicted", "accuracy", "confidence", "embeddings_9", "epoch", "lr", "run", "big", "flag", "small"], schema.Names);
        Assert.IsType<ExampleIdSchema>(schema["example_id"]);
        Assert.Equal(128, Assert.IsType<EmbeddingSchema>(schema["embeddings_9"]).Dimensions);
        Assert.IsType<EpochSchema>(schema["epoch"]);
        Assert.IsType<Float32Schema>(schema["lr"]);
        Assert.IsType<StringSchema>(schema["run"]);
        Assert.IsType<Int64Schema>(schema["big"]);
        Assert.IsType<BoolSchema>(schema["flag"]);
        Assert.IsType<Int32Schema>(schema["small"]); // as a JSON 5 would be
    }

    [Fact]
    public void OutputSchema_ConstantsAsJson_GiveTheSameColumnsAsValues()
    {
        var values = new Dictionary<string, object?> { ["epoch"] = 3, ["lr"] = 0.01, ["run"] = "a", ["n"] = 7, ["flag"] = false };
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(JsonSerializer.Serialize(values))!.ToDictionary(kv => kv.Key, kv => (object?)kv.Value);
        var nodes = values.ToDictionary(kv => kv.Key, kv => (object?)JsonNode.Parse(JsonSerializer.Serialize(kv.Value)));
        var input = new TableSchema { ["label"] = new Int32Schema() };

        var expected = MetricsRunner.OutputSchema(input, [], values);

        Assert.Equal(expected.ToJson().ToJsonString(), MetricsRunner.OutputSchema(input, [], json).ToJson().ToJsonString());
        Assert.Equal(expected.ToJson().ToJsonString(), MetricsRunner.OutputSchema(input, [], nodes).ToJson().ToJsonString());
        Assert.IsType<Int32Schema>(expected["n"]);
    }

    [Fact]
    public void OutputSchema_RepeatedColumnOrNullConstant_IsAnError()
    {
        var input = new TableSchema { ["label"] = new CategoricalLabelSchema(FashionMnist.Classes) };
        IMetricsCollector[] twice = [new ClassificationCollector(FashionMnist.Classes), new ClassificationCollector(FashionMnist.Classes)];

        Assert.Contains("Column 'loss' of collector 1", Assert.Throws<ArgumentException>(() => MetricsRunner.OutputSchema(input, twice, null)).Message, StringComparison.Ordinal);
        Assert.Contains("Constant 'loss' names a column", Assert.Throws<ArgumentException>(() => MetricsRunner.OutputSchema(input, [twice[0]], new Dictionary<string, object?> { ["loss"] = 1 })).Message, StringComparison.Ordinal);
        Assert.Contains("Constant 'x' is null", Assert.Throws<ArgumentException>(() => MetricsRunner.OutputSchema(input, [], new Dictionary<string, object?> { ["x"] = null })).Message, StringComparison.Ordinal);
    }
}
