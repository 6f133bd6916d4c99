using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsHuggingFaceTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-hf");

    public void Dispose() => _root.Dispose();

    private HuggingFaceImportOptions Options(string table, string split = "train") => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Split = split,
    };

    /// <summary>The rows of the fixture's train batches, in order: 6, 6 (shard 0) and 8 (shard 1).</summary>
    private static readonly int[] FixtureBatchRows = [6, 6, 8];

    /// <summary>
    /// A save_to_disk folder made of the fixture's real train record batches (Fashion-MNIST PNGs, labels, ...), re-cut into
    /// more batches: shard 0, an Arrow IPC stream, holds the batches 0 1 2 0 1 2 0 (46 rows); shard 1, an Arrow IPC
    /// file, holds 1 2 0 1 (26 rows). Returns the folder and each shard's batch rows.
    /// </summary>
    private (string Folder, int[][] BatchRows) WriteManyBatches()
    {
        var source = Path.Combine(Fixtures.HuggingFaceFashionMnist, "train");
        var folder = Path.GetDirectoryName(_root.File("hf/many/dataset_info.json"))!;
        File.Copy(Path.Combine(source, "dataset_info.json"), Path.Combine(folder, "dataset_info.json"));
        var readers = new List<ArrowStreamReader>();
        var batches = new List<RecordBatch>();
        try
        {
            foreach (var shard in new[] { "data-00000-of-00002.arrow", "data-00001-of-00002.arrow" })
            {
                var reader = new ArrowStreamReader(new MemoryStream(File.ReadAllBytes(Path.Combine(source, shard))));
                readers.Add(reader);
                while (reader.ReadNextRecordBatch() is { } batch)
                {
                    batches.Add(batch);
                }
            }
            Assert.Equal(FixtureBatchRows, batches.Select(b => b.Length));
            var schema = readers[0].Schema;
            int[] streamOrder = [0, 1, 2, 0, 1, 2, 0];
            int[] fileOrder = [1, 2, 0, 1];
            using (var stream = File.Create(Path.Combine(folder, "data-00000-of-00002.arrow")))
            using (var writer = new ArrowStreamWriter(stream, schema))
            {
                foreach (var b in streamOrder)
                {
                    writer.WriteRecordBatch(batches[b]);
                }
                writer.WriteEnd();
            }
            using (var stream = File.Create(Path.Combine(folder, "data-00001-of-00002.arrow")))
            using (var writer = new ArrowFileWriter(stream, schema))
            {
                foreach (var b in fileOrder)
                {
                    writer.WriteRecordBatch(batches[b]);
                }
                writer.WriteEnd();
            }
            File.WriteAllText(Path.Combine(folder, "state.json"), """
                {"_data_files": [{"filename": "data-00000-of-00002.arrow"}, {"filename": "data-00001-of-00002.arrow"}], "_split": "train"}
                """);
            return (folder, [streamOrder.Select(b => FixtureBatchRows[b]).ToArray(), fileOrder.Select(b => FixtureBatchRows[b]).ToArray()]);
        }
        finally
        {
            batches.ForEach(b => b.Dispose());
            readers.ForEach(r => r.Dispose());
        }
    }

    /// <summary>
    /// Asserts both tables hold the same rows under the same schema. Images the dataset stored as bytes are bulk data of
    /// each write (their URLs name the write), so those compare by the bytes stored; every other value compares as is.
    /// </summary>
    internal static void AssertSameRows(Table expected, Table actual)
    {
        Assert.Equal(expected.RowCount, actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        var bulk = 0;
        for (var i = 0; i < expected.RowCount; i++)
        {
            foreach (var name in expected.Schema.Names)
            {
                var (e, a) = (expected.Rows[i][name], actual.Rows[i][name]);
                if (expected.Schema[name] is ImageSchema && e is string stored && stored.Contains("/bulk_data/", StringComparison.Ordinal))
                {
                    var copy = Assert.IsType<string>(a);
                    Assert.Contains("/bulk_data/", copy, StringComparison.Ordinal);
                    Assert.NotEqual(stored, copy);
                    Assert.Equal(File.ReadAllBytes(expected.ResolveUrl(stored).LocalPath), File.ReadAllBytes(actual.ResolveUrl(copy).LocalPath));
                    bulk++;
                }
                else
                {
                    Assert.Equal(e, a);
                }
            }
        }
        Assert.True(bulk > 0, "no image stored as bytes was compared");
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_ManyBatches_ChunksOfAboutTwoBatches_SameRowsAsOneProcessImport()
    {
        var ct = TestContext.Current.CancellationToken;
        var (folder, batchRows) = WriteManyBatches();
        using var expected = await Table.FromHuggingFaceAsync(folder, Options("single"), ct);
        var shardBytes = new FileInfo(Path.Combine(folder, "data-00000-of-00002.arrow")).Length;

        // About two of shard 0's batches per chunk.
        var (plan, existing) = await ImportJobs.PlanHuggingFaceAsync(folder, Options("chunked"), "job-hf1",
            new ImportJobOptions { ChunkBytes = shardBytes * 2 / 7 + 64 }, ct);

        Assert.Null(existing);
        Assert.Equal("hf", plan!.Spec.Format);
        Assert.Equal(72, expected.RowCount);
        var descriptors = plan.Chunks.Select(c => JsonNode.Parse(c.Descriptor)!).ToArray();
        Assert.True(plan.Chunks.Count >= 5, $"{plan.Chunks.Count} chunks");
        var files = new[] { "data-00000-of-00002.arrow", "data-00001-of-00002.arrow" };
        for (var s = 0; s < 2; s++)
        {
            // A shard's chunks cover its batches in order, each naming the shard row it starts at.
            var mine = descriptors.Where(d => (string)d["file"]! == files[s]).ToArray();
            Assert.True(mine.Length >= 2, $"{files[s]}: {mine.Length} chunks");
            var next = 0;
            foreach (var d in mine)
            {
                Assert.Equal(next, (int)d["first_batch"]!);
                Assert.Equal(batchRows[s].Take(next).Sum(), (long)d["first_row"]!);
                next += (int)d["batches"]!;
            }
            Assert.Equal(batchRows[s].Length, next);
        }
        Assert.Equal(new FileInfo(Path.Combine(folder, files[0])).Length,
            plan.Chunks.Where((_, i) => (string)descriptors[i]["file"]! == files[0]).Sum(c => c.Bytes), 16.0);

        using var actual = await ConvertAndPublishAsync(plan, _root);
        AssertSameRows(expected, actual);
        Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_StreamShardChunk_ReadsFromItsOffset_NotTheBatchesBeforeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        var (folder, _) = WriteManyBatches();
        var shard = Path.Combine(folder, "data-00000-of-00002.arrow");
        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(folder, Options("offsets"), "job-hf-offsets",
            new ImportJobOptions { ChunkBytes = new FileInfo(shard).Length * 2 / 7 + 64 }, ct);
        var chunks = plan!.Chunks.Select((c, i) => (Index: i, Descriptor: JsonNode.Parse(c.Descriptor)!))
            .Where(c => (string)c.Descriptor["file"]! == "data-00000-of-00002.arrow").ToArray();
        var last = chunks[^1];
        var offset = (long)last.Descriptor["offset"]!;
        Assert.True((int)last.Descriptor["first_batch"]! > 0 && offset > 0);

        // Spoil the first record batch after planning: a chunk that read and dropped the batches before its own would fail.
        var bytes = await File.ReadAllBytesAsync(shard, ct);
        int firstBatchAt;
        using (var stream = new MemoryStream(bytes))
        using (var reader = new ArrowStreamReader(stream, leaveOpen: true))
        {
            _ = reader.Schema;
            firstBatchAt = (int)stream.Position;
        }
        // Its message header (continuation marker and length) becomes garbage.
        bytes.AsSpan(firstBatchAt, 8).Fill(0x7F);
        await File.WriteAllBytesAsync(shard, bytes, ct);
        var lastResult = Assert.Single(await ConvertAsync(plan, _root, [last.Index]));
        var firstResult = Assert.Single(await ConvertAsync(plan, _root, [chunks[0].Index]));

        Assert.Null(lastResult.Error);
        Assert.Equal((int)last.Descriptor["batches"]!, lastResult.File!.Batches.Count);
        Assert.NotNull(firstResult.Error);
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_FixtureDatasetDict_ShardsWithinChunkBytes_OneUnreadChunkPerShard()
    {
        var ct = TestContext.Current.CancellationToken;
        using var expected = await Table.FromHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("single"), ct);

        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("chunked"), "job-hf2", cancellationToken: ct);

        Assert.Equal(
            ["""{"file":"data-00000-of-00002.arrow","first_batch":0,"batches":null,"first_row":0}""",
             """{"file":"data-00001-of-00002.arrow","first_batch":0,"batches":null,"first_row":0}"""],
            plan!.Chunks.Select(c => c.Descriptor));
        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(20, actual.RowCount);
        AssertSameRows(expected, actual);

        // One byte per chunk: every record batch of the fixture is its own chunk.
        var (perBatch, _) = await ImportJobs.PlanHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("per-batch"), "job-hf3",
            new ImportJobOptions { ChunkBytes = 1 }, ct);
        Assert.Equal([0, 1, 0], perBatch!.Chunks.Select(c => (int)JsonNode.Parse(c.Descriptor)!["first_batch"]!));
        Assert.Equal([0L, 6, 0], perBatch.Chunks.Select(c => (long)JsonNode.Parse(c.Descriptor)!["first_row"]!));
        using var batched = await ConvertAndPublishAsync(perBatch, _root);
        AssertSameRows(expected, batched);
    }

    [Theory(Timeout = 120_000)]
    [InlineData(1L)]
    [InlineData(ImportJobs.DefaultChunkBytes)]
    public async Task Convert_TruncatedShard_FailsItsChunkWithTheOneProcessMessage(long chunkBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.GetDirectoryName(_root.File("hf/train/x"))!;
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        var shard = Path.Combine(folder, "data-00000-of-00002.arrow");
        var bytes = File.ReadAllBytes(shard);
        File.WriteAllBytes(shard, bytes[..(bytes.Length - 100)]);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, Options("single"), ct));

        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(folder, Options("bad"), "job-hf4", new ImportJobOptions { ChunkBytes = chunkBytes }, ct);
        var results = await ConvertAsync(plan!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        var descriptor = JsonNode.Parse(plan!.Chunks[System.Array.IndexOf(results, failed)].Descriptor)!;
        Assert.Equal("data-00000-of-00002.arrow", (string)descriptor["file"]!);
        Assert.Null(descriptor["batches"]);
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Contains(new Url(shard).Value, failed.Error, StringComparison.Ordinal);
        Assert.Contains("not a readable Arrow IPC stream", failed.Error, StringComparison.Ordinal);
        Assert.Null(failed.File);
        // Cut by batch, the shard's readable first batch converts on its own.
        Assert.Equal(chunkBytes == 1 ? 3 : 2, results.Length);
        Assert.Equal(results.Length - 1, StagedFiles(plan).Length);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_MissingShard_FailsAsTheOneProcessImport()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.GetDirectoryName(_root.File("hf/train/x"))!;
        VisionTestData.CopyFolder(Path.Combine(Fixtures.HuggingFaceFashionMnist, "train"), folder);
        File.Delete(Path.Combine(folder, "data-00001-of-00002.arrow"));
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromHuggingFaceAsync(folder, Options("single"), ct));

        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanHuggingFaceAsync(folder, Options("missing"), "job-hf5", cancellationToken: ct));

        Assert.Equal(oneProcess.Message, e.Message);
        Assert.Contains("_data_files[1]", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var first = await Table.FromHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("exists", "test"), ct);

        var (plan, existing) = await ImportJobs.PlanHuggingFaceAsync(Fixtures.HuggingFaceFashionMnist, Options("exists", "test"), "job-hf6",
            cancellationToken: ct);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
    }
}
