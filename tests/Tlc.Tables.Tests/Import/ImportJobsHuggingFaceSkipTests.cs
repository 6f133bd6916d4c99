using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// The skip policy on Hugging Face import jobs: rows the writer refuses (a class label outside the names, a null list
/// element, a null where a schema override forbids it) are left out and listed in the quarantine with their shard, row of
/// the shard, column and reason, and the table equals the one-process import of the dataset without those rows.
/// </summary>
public sealed partial class ImportJobsHuggingFaceSkipTests : IDisposable
{
    private const string Shard0 = "data-00000-of-00002.arrow";
    private const string Shard1 = "data-00001-of-00002.arrow";

    private readonly TempRoot _root = new("import-jobs-hf-skip");

    public void Dispose() => _root.Dispose();

    /// <summary>The import options; <c>name</c> is declared not nullable, so a null name is a bad row.</summary>
    private HuggingFaceImportOptions Options(string table) => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Schema = new Dictionary<string, ColumnSchema> { ["name"] = new StringSchema() },
    };

    /// <summary>One row of the fixture's train split, as <c>datasets</c> stores it.</summary>
    private sealed record Row(bool ImageNull, byte[]? Bytes, string? Path, long? Label, float? X, string? Name, long?[]? Tokens);

    /// <summary>A bad row: where it is (shard, batch of the shard, row of the batch), what is wrong and what the quarantine says.</summary>
    private sealed record Bad(string Shard, int Batch, int Row, Func<Row, Row> Spoil, string Column, string Reason);

    /// <summary>
    /// Bad rows in both shards and several batches: shard 0 (an Arrow IPC stream) holds the fixture's batches 0 1 2 0
    /// (6, 6, 8, 6 rows), shard 1 (an Arrow IPC file) holds 1 2 0 (6, 8, 6 rows). Row 7 of shard 1's batch 1 is bad in two
    /// columns: the first in feature order is the one listed.
    /// </summary>
    private static readonly Bad[] BadRows =
    [
        new(Shard0, 1, 2, r => r with { Label = 42 }, "label", "42 is not in the value map"),
        new(Shard0, 3, 0, r => r with { Tokens = [1, null, 3] }, "tokens[]", "a value is required"),
        new(Shard0, 3, 5, r => r with { Name = null }, "name", "a value is required"),
        new(Shard1, 0, 4, r => r with { Tokens = [null] }, "tokens[]", "a value is required"),
        new(Shard1, 1, 7, r => r with { Label = -5, Tokens = [null] }, "label", "-5 is not in the value map"),
        new(Shard1, 2, 1, r => r with { Label = 10 }, "label", "10 is not in the value map"),
    ];

    private static readonly Dictionary<string, int[]> ShardBatches = new() { [Shard0] = [0, 1, 2, 0], [Shard1] = [1, 2, 0] };

    /// <summary>
    /// Writes a save_to_disk folder of the fixture's train rows cut as <see cref="ShardBatches"/> says: with
    /// <paramref name="bad"/> spoiled where they say, or, when <paramref name="dropBad"/>, without those rows.
    /// </summary>
    private string WriteDataset(string name, IReadOnlyList<Bad> bad, bool dropBad)
    {
        var source = Path.Combine(Fixtures.HuggingFaceFashionMnist, "train");
        var folder = Path.GetDirectoryName(_root.File($"hf/{name}/dataset_info.json"))!;
        File.Copy(Path.Combine(source, "dataset_info.json"), Path.Combine(folder, "dataset_info.json"));
        File.WriteAllText(Path.Combine(folder, "state.json"), $$"""
            {"_data_files": [{"filename": "{{Shard0}}"}, {"filename": "{{Shard1}}"}], "_split": "train"}
            """);
        var (schema, fixture) = ReadFixtureBatches(source);
        Assert.Equal([6, 6, 8], fixture.Select(b => b.Count));
        foreach (var (shard, order) in ShardBatches)
        {
            var batches = new List<List<Row>>();
            for (var b = 0; b < order.Length; b++)
            {
                var rows = new List<Row>();
                for (var r = 0; r < fixture[order[b]].Count; r++)
                {
                    var spoil = bad.FirstOrDefault(x => x.Shard == shard && x.Batch == b && x.Row == r);
                    if (spoil is null)
                    {
                        rows.Add(fixture[order[b]][r]);
                    }
                    else if (!dropBad)
                    {
                        rows.Add(spoil.Spoil(fixture[order[b]][r]));
                    }
                }
                batches.Add(rows);
            }
            using var stream = File.Create(Path.Combine(folder, shard));
            using var writer = shard == Shard0 ? (ArrowStreamWriter)new ArrowStreamWriter(stream, schema) : new ArrowFileWriter(stream, schema);
            foreach (var rows in batches)
            {
                using var batch = ToBatch(schema, rows);
                writer.WriteRecordBatch(batch);
            }
            writer.WriteEnd();
        }
        return folder;
    }

    /// <summary>
    /// The rows of the fixture's train record batches, in order, and the shards' Arrow schema. A null name (the fixture
    /// has one) is given a value: the names are declared not nullable here.
    /// </summary>
    private static (Apache.Arrow.Schema Schema, List<List<Row>> Batches) ReadFixtureBatches(string folder)
    {
        Apache.Arrow.Schema? schema = null;
        var batches = new List<List<Row>>();
        foreach (var shard in new[] { Shard0, Shard1 })
        {
            using var reader = new ArrowStreamReader(new MemoryStream(File.ReadAllBytes(Path.Combine(folder, shard))));
            while (reader.ReadNextRecordBatch() is { } batch)
            {
                using (batch)
                {
                    schema ??= reader.Schema;
                    var image = (StructArray)batch.Column("image");
                    var (bytes, paths) = ((BinaryArray)image.Fields[0], (StringArray)image.Fields[1]);
                    var label = (Int64Array)batch.Column("label");
                    var x = (FloatArray)batch.Column("x");
                    var name = (StringArray)batch.Column("name");
                    var tokens = (ListArray)batch.Column("tokens");
                    var rows = new List<Row>();
                    for (var r = 0; r < batch.Length; r++)
                    {
                        long?[]? list = null;
                        if (!tokens.IsNull(r))
                        {
                            var values = (Int64Array)tokens.GetSlicedValues(r);
                            list = Enumerable.Range(0, values.Length).Select(values.GetValue).ToArray();
                        }
                        rows.Add(new Row(image.IsNull(r), bytes.IsNull(r) ? null : bytes.GetBytes(r).ToArray(), paths.GetString(r),
                            label.GetValue(r), x.GetValue(r), name.GetString(r) ?? $"unnamed {r}", list));
                    }
                    batches.Add(rows);
                }
            }
        }
        return (schema!, batches);
    }

    /// <summary>A record batch of <paramref name="rows"/> with the shards' Arrow schema.</summary>
    private static RecordBatch ToBatch(Apache.Arrow.Schema schema, IReadOnlyList<Row> rows)
    {
        var bytes = new BinaryArray.Builder();
        var paths = new StringArray.Builder();
        var imageValid = new ArrowBuffer.BitmapBuilder();
        var label = new Int64Array.Builder();
        var x = new FloatArray.Builder();
        var name = new StringArray.Builder();
        var offsets = new ArrowBuffer.Builder<int>().Append(0);
        var values = new Int64Array.Builder();
        var tokensValid = new ArrowBuffer.BitmapBuilder();
        foreach (var row in rows)
        {
            if (row.Bytes is null)
            {
                bytes.AppendNull();
            }
            else
            {
                bytes.Append(row.Bytes.AsSpan());
            }
            paths.Append(row.Path);
            imageValid.Append(!row.ImageNull);
            if (row.Label is { } l)
            {
                label.Append(l);
            }
            else
            {
                label.AppendNull();
            }
            if (row.X is { } v)
            {
                x.Append(v);
            }
            else
            {
                x.AppendNull();
            }
            name.Append(row.Name);
            foreach (var token in row.Tokens ?? [])
            {
                if (token is { } t)
                {
                    values.Append(t);
                }
                else
                {
                    values.AppendNull();
                }
            }
            offsets.Append(values.Length);
            tokensValid.Append(row.Tokens is not null);
        }
        var n = rows.Count;
        var imageNulls = rows.Count(r => r.ImageNull);
        var tokenNulls = rows.Count(r => r.Tokens is null);
        var image = new StructArray(schema.GetFieldByName("image").DataType, n, [bytes.Build(), paths.Build()],
            imageNulls == 0 ? ArrowBuffer.Empty : imageValid.Build(), imageNulls);
        var tokens = new ListArray(schema.GetFieldByName("tokens").DataType, n, offsets.Build(), values.Build(),
            tokenNulls == 0 ? ArrowBuffer.Empty : tokensValid.Build(), tokenNulls);
        return new RecordBatch(schema, [image, label.Build(), x.Build(), name.Build(), tokens], n);
    }

    /// <summary>The row of its shard a bad row is (the rows of the shard's batches before it, plus its row).</summary>
    /// <summary>
    /// Plans <paramref name="dataset"/> as a job under the skip policy, converts every chunk and publishes the table with its
    /// quarantine; checks the quarantine lists exactly <paramref name="bad"/> (file, no line, row of the shard, column) and
    /// returns the table, the chunk results and the quarantine rows (file, line, row, column, reason).
    /// </summary>
    private async Task<(Table Table, ImportChunkConversion[] Results, List<(string File, long? Line, long Row, string? Column, string Reason)> Listed)> ConvertSkippingAsync(
        string dataset, HuggingFaceImportOptions options, string jobId, long chunkBytes, Bad[] bad)
    {
        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(dataset, options, jobId,
            new ImportJobOptions { ChunkBytes = chunkBytes, ErrorPolicy = ImportErrorPolicy.Skip }, TestContext.Current.CancellationToken);
        // One chunk per record batch, or one per shard.
        Assert.Equal(chunkBytes == 1 ? 7 : 2, plan!.Chunks.Count);
        var results = await ConvertAsync(plan, _root);
        var (table, quarantine) = await PublishWithQuarantineAsync(plan, results);
        using var _ = quarantine;
        int[] fixtureRows = [6, 6, 8];
        var listed = quarantine.Rows.Select(r => ((string)r["file"]!, (long?)r["line"], (long)r["row"]!, (string?)r["column"], (string)r["reason"]!)).ToList();
        Assert.Equal(bad.Select(b => (Url.FromLocalPath(Path.Combine(dataset, b.Shard)).Value, (long?)null, ShardRow(b, fixtureRows), (string?)b.Column)),
            listed.Select(l => (l.Item1, l.Item2, l.Item3, l.Item4)));
        return (table, results, listed);
    }

    private static long ShardRow(Bad bad, int[] batchRows) => ShardBatches[bad.Shard].Take(bad.Batch).Sum(b => batchRows[b]) + bad.Row;

    [Theory(Timeout = 120_000)]
    [InlineData(1L)]
    [InlineData(ImportJobs.DefaultChunkBytes)]
    public async Task Convert_BadRowsInBothShards_SkipPolicy_QuarantineListsExactlyThemAndTableEqualsCleanImport(long chunkBytes)
    {
        var ct = TestContext.Current.CancellationToken;
        var mixed = WriteDataset("mixed", BadRows, dropBad: false);
        var clean = WriteDataset("clean", BadRows, dropBad: true);

        var (table, results, listed) = await ConvertSkippingAsync(mixed, Options("mixed"), "hf-skip", chunkBytes, BadRows);
        using var _ = table;
        for (var i = 0; i < BadRows.Length; i++)
        {
            Assert.Contains(BadRows[i].Reason, listed[i].Item5, StringComparison.Ordinal);
        }
        Assert.Equal(46 - BadRows.Length, results.Sum(r => r.Rows));
        using var expected = await Table.FromHuggingFaceAsync(clean, Options("clean"), ct);
        Assert.Equal(46 - BadRows.Length, expected.RowCount);
        ImportJobsHuggingFaceTests.AssertSameRows(expected, table);
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_BadRows_FailPolicy_ChunkErrorNamesShardRecordBatchRowAndColumn()
    {
        var ct = TestContext.Current.CancellationToken;
        var mixed = WriteDataset("mixed", BadRows, dropBad: false);
        var oneProcess = await Assert.ThrowsAsync<RowValidationException>(() => Table.FromHuggingFaceAsync(mixed, Options("single"), ct));

        var (plan, _) = await ImportJobs.PlanHuggingFaceAsync(mixed, Options("mixed"), "hf-fail", cancellationToken: ct);
        var results = await ConvertAsync(plan!, _root);

        Assert.Equal(2, results.Length);
        var shard0 = Url.FromLocalPath(Path.Combine(mixed, Shard0)).Value;
        var shard1 = Url.FromLocalPath(Path.Combine(mixed, Shard1)).Value;
        Assert.Equal($"{shard0}:record batch 1, row 2", oneProcess.Origin);
        Assert.Equal($"{shard0}:record batch 1, row 2: column 'label': {oneProcess.Problem}", results[0].Error);
        Assert.Contains("42 is not in the value map", results[0].Error, StringComparison.Ordinal);
        Assert.Equal($"{shard1}:record batch 0, row 4: column 'tokens[]': a value is required (expected int64), got null", results[1].Error);
        Assert.All(results, r => Assert.Null(r.File));
        Assert.All(results, r => Assert.Null(r.Quarantine));
        Assert.Empty(StagedFiles(plan!));
    }

    [Fact(Timeout = 120_000)]
    public async Task Convert_CleanDataset_SkipPolicy_NoQuarantineRowsAndSameTableAsFailPolicyAndOneProcess()
    {
        var ct = TestContext.Current.CancellationToken;
        var clean = WriteDataset("clean", BadRows, dropBad: true);
        using var expected = await Table.FromHuggingFaceAsync(clean, Options("single"), ct);

        var (skip, _) = await ImportJobs.PlanHuggingFaceAsync(clean, Options("skip"), "hf-clean-skip",
            new ImportJobOptions { ChunkBytes = 1, ErrorPolicy = ImportErrorPolicy.Skip }, ct);
        var results = await ConvertAsync(skip!, _root);
        Assert.All(results, r => Assert.Null(r.Quarantine));
        var (table, quarantine) = await PublishWithQuarantineAsync(skip!, results);
        using var _ = table;
        using var __ = quarantine;
        var (fail, _) = await ImportJobs.PlanHuggingFaceAsync(clean, Options("fail"), "hf-clean-fail", new ImportJobOptions { ChunkBytes = 1 }, ct);
        using var failed = await ConvertAndPublishAsync(fail!, _root);

        Assert.Equal(0, quarantine.RowCount);
        Assert.Equal(40, table.RowCount);
        ImportJobsHuggingFaceTests.AssertSameRows(expected, table);
        ImportJobsHuggingFaceTests.AssertSameRows(failed, table);
    }
}
