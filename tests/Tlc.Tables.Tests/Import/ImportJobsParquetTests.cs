using System.Text.Json.Nodes;
using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsParquetTests : IDisposable
{
    private const int GroupRows = 200;

    private readonly TempRoot _root = new("import-jobs-parquet");

    public void Dispose() => _root.Dispose();

    private ParquetImportOptions Options(string table, IReadOnlyDictionary<string, ColumnSchema>? schema = null, int? batchRows = null) => new()
    {
        BatchRows = batchRows,
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Schema = schema,
    };

    /// <summary>
    /// A Parquet file of <paramref name="rows"/> rows in row groups of <see cref="GroupRows"/>: integers, nullable strings and
    /// doubles, timestamps, lists, dictionary-encoded class names (<paramref name="badRow"/> holds "bird", the others cat/dog).
    /// </summary>
    private string WriteParquet(int rows, int? badRow = null, int[]? badRows = null, bool omitBad = false)
    {
        var path = _root.File($"input/data-{rows}-{badRow}-{string.Join('_', badRows ?? [])}-{omitBad}.parquet");
        var bad = new HashSet<int>(badRows ?? []);
        if (badRow is { } one)
        {
            bad.Add(one);
        }
        var written = 0;
        var ids = new Int64Array.Builder();
        var names = new StringArray.Builder();
        var scores = new DoubleArray.Builder();
        var times = new TimestampArray.Builder(new TimestampType(TimeUnit.Millisecond, "UTC"));
        var lists = new ListArray.Builder(Int32Type.Default);
        var items = (Int32Array.Builder)lists.ValueBuilder;
        var classes = new StringArray.Builder();
        for (var i = 0; i < rows; i++)
        {
            if (omitBad && bad.Contains(i))
            {
                continue;
            }
            written++;
            ids.Append(i * 3L);
            if (i % 5 == 0)
            {
                names.AppendNull();
            }
            else
            {
                names.Append($"name {i % 17}");
            }
            if (i % 7 == 0)
            {
                scores.AppendNull();
            }
            else
            {
                scores.Append(i * 0.5);
            }
            times.Append(DateTimeOffset.UnixEpoch.AddMinutes(i));
            lists.Append();
            for (var k = 0; k < i % 4; k++)
            {
                items.Append(i + k);
            }
            classes.Append(bad.Contains(i) ? "bird" : i % 3 == 0 ? "cat" : "dog");
        }
        var schema = new Apache.Arrow.Schema.Builder()
            .Field(new Field("id", Int64Type.Default, false))
            .Field(new Field("name", StringType.Default, true))
            .Field(new Field("score", DoubleType.Default, true))
            .Field(new Field("time", new TimestampType(TimeUnit.Millisecond, "UTC"), false))
            .Field(new Field("tags", new ListType(Int32Type.Default), false))
            .Field(new Field("class", StringType.Default, false))
            .Build();
        var batch = new RecordBatch(schema, [ids.Build(), names.Build(), scores.Build(), times.Build(), lists.Build(), classes.Build()], written);
        using var arrowProperties = new ParquetSharp.Arrow.ArrowWriterPropertiesBuilder().StoreSchema().Build();
        using var writer = new ParquetSharp.Arrow.FileWriter(path, schema, arrowProperties: arrowProperties);
        writer.WriteRecordBatch(batch, GroupRows);
        writer.Close();
        return path;
    }

    private static int[] RowGroups(ImportChunkPlanView chunk) => chunk.RowGroups;

    private sealed record ImportChunkPlanView(int[] RowGroups, long FirstRow);

    private static ImportChunkPlanView View(Tlc.Cluster.ImportChunkPlan chunk)
    {
        var descriptor = JsonNode.Parse(chunk.Descriptor)!;
        return new ImportChunkPlanView(descriptor["row_groups"]!.AsArray().Select(g => (int)g!).ToArray(), (long)descriptor["first_row"]!);
    }

    [Fact(Timeout = 60_000)]
    public async Task PlanConvertPublish_RowGroupsMergedIntoChunks_SameTableAsOneProcessImport()
    {
        var path = WriteParquet(2000);
        using var expected = await Table.FromParquetAsync(path, Options("single"), TestContext.Current.CancellationToken);

        var (perGroup, _) = await ImportJobs.PlanParquetAsync(path, Options("chunked"), "job-p0", new ImportJobOptions { ChunkBytes = 1 },
            TestContext.Current.CancellationToken);
        Assert.Equal(10, perGroup!.Chunks.Count);
        Assert.Equal(Enumerable.Range(0, 10), perGroup.Chunks.Select(c => Assert.Single(RowGroups(View(c)))));
        var groupBytes = perGroup.Chunks.Max(c => c.Bytes);

        var (plan, existing) = await ImportJobs.PlanParquetAsync(path, Options("chunked"), "job-p1",
            new ImportJobOptions { ChunkBytes = groupBytes * 3 }, TestContext.Current.CancellationToken);
        Assert.Null(existing);
        Assert.InRange(plan!.Chunks.Count, 4, 5);
        Assert.Equal(Enumerable.Range(0, 10), plan.Chunks.SelectMany(c => View(c).RowGroups));
        Assert.Equal(plan.Chunks.Select(c => View(c).RowGroups[0] * (long)GroupRows), plan.Chunks.Select(c => View(c).FirstRow));
        Assert.Equal("parquet", plan.Spec.Format);

        using var actual = await ConvertAndPublishAsync(plan, _root);
        AssertSameTable(expected, actual);
        Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
        Assert.Equal([1999, 2000, 2001], (int[])actual.Rows[1999]["tags"]!);
    }

    [Fact(Timeout = 120_000)]
    public async Task Plan_Flights3m_ReadsOnlyTheFooter_EachChunkReadsOnlyItsRowGroups()
    {
        // A copy of the 3M-row file whose row group 5 is destroyed: planning (footer only) and chunks without that row
        // group still work; the chunk holding it fails with the file and its first row.
        var path = _root.File("input/flights-3m.parquet");
        File.Copy(Fixtures.Flights3mParquet, path);
        long[] groupStarts;
        long[] groupRows;
        using (var footer = new ParquetSharp.ParquetFileReader(path))
        {
            var count = footer.FileMetaData.NumRowGroups;
            groupStarts = new long[count];
            groupRows = new long[count];
            long offset = 4;
            for (var g = 0; g < count; g++)
            {
                using var group = footer.RowGroup(g);
                groupStarts[g] = offset;
                groupRows[g] = group.MetaData.NumRows;
                for (var c = 0; c < group.MetaData.NumColumns; c++)
                {
                    offset += group.MetaData.GetColumnChunkMetaData(c).TotalCompressedSize;
                }
            }
        }
        Assert.Equal(11, groupStarts.Length);
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            file.Position = groupStarts[5];
            file.Write(new byte[(int)(groupStarts[6] - groupStarts[5])]);
        }

        var (plan, _) = await ImportJobs.PlanParquetAsync(path, Options("flights"), "job-p2", new ImportJobOptions { ChunkBytes = 1 },
            TestContext.Current.CancellationToken);

        Assert.Equal(11, plan!.Chunks.Count);
        Assert.Equal(groupRows.Select((_, g) => groupRows.Take(g).Sum()), plan.Chunks.Select(c => View(c).FirstRow));
        var results = await ConvertAsync(plan, _root, [0, 5, 10]);
        Assert.Null(results[0].Error);
        Assert.Null(results[2].Error);
        Assert.Equal(groupRows[0], results[0].Rows);
        Assert.Equal(groupRows[10], results[2].Rows);
        Assert.NotNull(results[1].Error);
        Assert.Contains(path, results[1].Error);
        Assert.Contains($"row {groupRows.Take(5).Sum()}", results[1].Error);
        Assert.Null(results[1].File);
        Assert.Equal(2, StagedFiles(plan).Length);

        // The two converted chunks hold exactly the first and the last rows of the one-process import of the intact file.
        using var expected = await Table.FromParquetAsync(Fixtures.Flights3mParquet, Options("flights-single"), TestContext.Current.CancellationToken);
        var partial = ImportJobs.BuildObject(plan.Spec, Commits(results.Where(r => r.Error is null)), DateTimeOffset.UtcNow);
        await Tlc.Tables.Storage.ObjectFiles.PublishAsync(new Tlc.Tables.Urls.UrlAdapterRegistry(), new Url(plan.Spec.TableUrl), partial,
            Tlc.Tables.Urls.WriteMode.CreateNew, TestContext.Current.CancellationToken);
        using var actual = await Table.OpenAsync(plan.Spec.TableUrl, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(groupRows[0] + groupRows[10], actual.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), actual.Schema.ToJson().ToJsonString());
        var last = expected.RowCount - groupRows[10];
        foreach (var column in expected.Schema.Names)
        {
            AssertSameValues(expected.Column(column), 0, actual.Column(column), 0, groupRows[0], column);
            AssertSameValues(expected.Column(column), last, actual.Column(column), groupRows[0], groupRows[10], column);
        }
    }

    [Theory(Timeout = 120_000)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task PlanConvertPublish_Flights3m_SameTableAsOneProcessImport(int parallelism)
    {
        var path = Fixtures.Flights3mParquet;
        using var expected = await Table.FromParquetAsync(path, Options("flights-single"), TestContext.Current.CancellationToken);

        var (plan, _) = await ImportJobs.PlanParquetAsync(path, Options("flights"), "job-p5", new ImportJobOptions { ChunkBytes = 4L << 20 },
            TestContext.Current.CancellationToken);

        Assert.Equal([3, 3, 3, 2], plan!.Chunks.Select(c => View(c).RowGroups.Length));
        // Two threads: each chunk reads its next record batch while the current one is written.
        using var actual = await ConvertAndPublishAsync(plan, _root, parallelism);
        Assert.Equal(3_000_000, actual.RowCount);
        AssertSameTable(expected, actual);
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvert_Flights3mOverHttp_PlanReadsTheFooterOnly_ChunkReadsItsRowGroupsOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.GetDirectoryName(Fixtures.Flights3mParquet)!;
        await using var server = new LocalHttpServer(folder);
        var url = server.BaseUrl.Join("flights-3m.parquet").Value;
        var fileBytes = new FileInfo(Fixtures.Flights3mParquet).Length;

        var (plan, _) = await ImportJobs.PlanParquetAsync(url, Options("flights-http"), "job-p6", new ImportJobOptions { ChunkBytes = 1 }, ct);

        Assert.Equal(11, plan!.Chunks.Count);
        var planned = server.BytesServed("flights-3m.parquet");
        Assert.True(planned < 256 << 10, $"the plan read {planned} of {fileBytes} bytes");

        server.ResetCounts();
        var result = Assert.Single(await ConvertAsync(plan, _root, [3]));
        Assert.Null(result.Error);
        Assert.Equal(272_727, result.Rows);
        var converted = server.BytesServed("flights-3m.parquet");
        Assert.InRange(converted, plan.Chunks[3].Bytes, plan.Chunks[3].Bytes + (512 << 10));
    }

    /// <summary>Compares <paramref name="count"/> values of two columns from the given rows (every value, as strings of their scalars).</summary>
    private static void AssertSameValues(ChunkedArray expected, long expectedStart, ChunkedArray actual, long actualStart, long count, string column)
    {
        var e = Flatten(expected, expectedStart, count);
        var a = Flatten(actual, actualStart, count);
        Assert.True(e.SequenceEqual(a), $"column '{column}' differs");
    }

    private static List<object?> Flatten(ChunkedArray column, long start, long count)
    {
        var values = new List<object?>((int)count);
        long offset = 0;
        for (var k = 0; k < column.ArrayCount && values.Count < count; k++)
        {
            var array = column.Array(k);
            for (var i = Math.Max(0, start - offset); i < array.Length && values.Count < count; i++)
            {
                values.Add(array switch
                {
                    Int64Array x => x.GetValue((int)i),
                    TimestampArray x => x.GetValue((int)i),
                    StringArray x => x.GetString((int)i),
                    FloatArray x => x.GetValue((int)i),
                    _ => throw new InvalidOperationException($"unexpected {array.GetType().Name}"),
                });
            }
            offset += array.Length;
        }
        return values;
    }

    [Theory(Timeout = 60_000)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Convert_UnknownClassInOneRowGroup_ChunkErrorNamesFileRowAndColumn_NothingStaged(int parallelism)
    {
        var path = WriteParquet(2000, badRow: 1234);
        var schema = new Dictionary<string, ColumnSchema> { ["class"] = new CategoricalLabelSchema(["cat", "dog"]) };
        // Batches of 50 rows: four per row group, so a chunk fails with its next batch being read.
        var (plan, _) = await ImportJobs.PlanParquetAsync(path, Options($"bad-{parallelism}", schema, batchRows: 50), $"job-p3-{parallelism}",
            new ImportJobOptions { ChunkBytes = 1 }, TestContext.Current.CancellationToken);

        // Two threads: the failing batch's successor is already being read when the error is raised.
        var results = await ConvertAsync(plan!, _root, parallelism: parallelism);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.Equal(1234 / GroupRows, System.Array.IndexOf(results, failed));
        Assert.Contains(path, failed.Error);
        Assert.Contains("row 1234, column 'class'", failed.Error);
        Assert.Contains("'bird'", failed.Error);
        Assert.Null(failed.File);
        Assert.Equal(results.Length - 1, StagedFiles(plan!).Length);
    }

    [Fact(Timeout = 60_000)]
    public async Task Convert_UnknownClassesAcrossRowGroups_SkipPolicy_QuarantineListsExactlyTheRowsAndTableEqualsCleanImport()
    {
        var ct = TestContext.Current.CancellationToken;
        int[] bad = [0, 5, 199, 200, 1234, 1235, 1999];
        var path = WriteParquet(2000, badRows: bad);
        var clean = WriteParquet(2000, badRows: bad, omitBad: true);
        var schema = new Dictionary<string, ColumnSchema> { ["class"] = new CategoricalLabelSchema(["cat", "dog"]) };
        var (plan, _) = await ImportJobs.PlanParquetAsync(path, Options("skip", schema), "job-p-skip",
            new ImportJobOptions { ChunkBytes = 1, ErrorPolicy = Tlc.Cluster.ImportErrorPolicy.Skip }, ct);

        var results = await ConvertAsync(plan!, _root);

        var (table, quarantine) = await PublishWithQuarantineAsync(plan!, results);
        using var _ = table;
        using var __ = quarantine;
        Assert.Equal(bad.Select(b => (long)b), quarantine.Rows.Select(r => (long)r["row"]!));
        Assert.All(quarantine.Rows, r =>
        {
            Assert.Equal(path, r["file"]);
            Assert.Null(r["line"]);
            Assert.Equal("class", r["column"]);
            Assert.Contains("'bird'", (string)r["reason"]!, StringComparison.Ordinal);
        });
        using var expected = await Table.FromParquetAsync(clean, Options("clean", schema), ct);
        AssertSameTable(expected, table);
    }

    [Fact(Timeout = 60_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt()
    {
        var path = WriteParquet(10);
        using var first = await Table.FromParquetAsync(path, Options("exists"), TestContext.Current.CancellationToken);

        var (plan, existing) = await ImportJobs.PlanParquetAsync(path, Options("exists"), "job-p4", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
    }
}
