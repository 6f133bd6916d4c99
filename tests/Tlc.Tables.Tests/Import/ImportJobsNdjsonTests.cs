using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

public sealed class ImportJobsNdjsonTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-ndjson");

    public void Dispose() => _root.Dispose();

    private NdjsonImportOptions Options(string table, IReadOnlyDictionary<string, ColumnSchema>? schema = null, int inferenceLines = 10_000) => new()
    {
        Root = _root.Url,
        Settings = _root.Settings,
        Project = "p",
        Dataset = "d",
        Table = table,
        Schema = schema,
        InferenceLines = inferenceLines,
    };

    /// <summary>
    /// NDJSON with a byte order mark, CRLF and LF line ends, blank lines, nested objects, lists, nulls, missing keys and
    /// non-ASCII text; line <paramref name="badLine"/> (1-based, counting blank lines) has a string where 'x' is a number.
    /// </summary>
    private string WriteNdjson(int objects, int? badLine = null)
    {
        var path = _root.File($"input/data-{objects}-{badLine}.ndjson");
        var text = new StringBuilder("\uFEFF");
        var line = 1;
        for (var i = 0; i < objects; i++)
        {
            if (i % 50 == 7)
            {
                text.Append('\n');
                line++;
            }
            var x = line == badLine ? "\"oops\"" : (i * 0.5).ToString(CultureInfo.InvariantCulture);
            var name = i % 9 == 0 ? "null" : $"\"näme {i % 11} ✓\"";
            var meta = i % 4 == 0
                ? $"{{\"w\": {i}, \"tags\": [\"a\", \"b{i % 3}\"], \"pos\": {{\"u\": {i % 5}, \"v\": -{i % 7}.5}}}}"
                : $"{{\"w\": {i}, \"tags\": [], \"pos\": {{\"u\": 1, \"v\": 2}}}}";
            var extra = i % 10 == 3 ? $", \"extra\": {{\"k\": \"v{i}\"}}" : "";
            var label = i % 3 == 0 ? "cat" : "dog";
            text.Append(CultureInfo.InvariantCulture,
                $"{{\"id\": {i}, \"x\": {x}, \"ok\": {(i % 2 == 0 ? "true" : "false")}, \"name\": {name}, \"ids\": [{i}, {i + 1}], \"meta\": {meta}, \"label\": \"{label}\", \"raw\": {{\"n\": {i}}}{extra}}}");
            text.Append(i % 3 == 0 ? "\r\n" : "\n");
            line++;
        }
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(false));
        return path;
    }

    private static readonly Dictionary<string, ColumnSchema> Overrides = new()
    {
        ["label"] = new CategoricalLabelSchema(["cat", "dog"]),
        ["raw"] = new StringSchema(),
    };

    [Fact(Timeout = 60_000)]
    public async Task PlanConvertPublish_NestedValuesManySmallChunks_SameTableAsOneProcessImport()
    {
        var path = WriteNdjson(3000);
        using var expected = await Table.FromNdjsonAsync(path, Options("single", Overrides), TestContext.Current.CancellationToken);

        var (plan, existing) = await ImportJobs.PlanNdjsonAsync(path, Options("chunked", Overrides), "job-n1", new ImportJobOptions { ChunkBytes = 8 << 10 },
            TestContext.Current.CancellationToken);

        Assert.Null(existing);
        Assert.True(plan!.Chunks.Count > 20, $"{plan.Chunks.Count} chunks");
        // Ranges cover the file, end at newlines and know their first line.
        var bytes = File.ReadAllBytes(path);
        long next = 0;
        foreach (var chunk in plan.Chunks)
        {
            var d = JsonNode.Parse(chunk.Descriptor)!;
            var (start, end, firstLine) = ((long)d["start"]!, (long)d["end"]!, (long)d["first_line"]!);
            Assert.Equal(next, start);
            Assert.Equal((byte)'\n', bytes[end - 1]);
            Assert.Equal(bytes.AsSpan(0, (int)start).Count((byte)'\n') + 1, firstLine);
            next = end;
        }
        Assert.Equal(bytes.Length, next);

        using var actual = await ConvertAndPublishAsync(plan, _root);
        Assert.Equal(3000, actual.RowCount);
        AssertSameTable(expected, actual);
        Assert.Equal(expected.Object.Source!.ToJsonString(), actual.Object.Source!.ToJsonString());
        Assert.Equal("{\"n\": 2999}", actual.Rows[2999]["raw"]);
        Assert.IsType<StructSchema>(actual.Schema["meta"]);
    }

    [Fact(Timeout = 60_000)]
    public async Task Convert_BadValueInOneChunk_ErrorNamesFileAndLineAsTheOneProcessImport_NothingStaged()
    {
        var path = WriteNdjson(2000, badLine: 1500);
        var oneProcess = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromNdjsonAsync(path, Options("single", inferenceLines: 100), TestContext.Current.CancellationToken));
        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, Options("bad", inferenceLines: 100), "job-n2", new ImportJobOptions { ChunkBytes = 8 << 10 },
            TestContext.Current.CancellationToken);

        var results = await ConvertAsync(plan!, _root);

        var failed = Assert.Single(results, r => r.Error is not null);
        Assert.NotEqual(0, System.Array.IndexOf(results, failed));
        Assert.Contains(path, failed.Error);
        Assert.Contains("line 1500, column 'x'", failed.Error);
        Assert.Equal(oneProcess.Message, failed.Error);
        Assert.Null(failed.File);
        Assert.Equal(results.Length - 1, StagedFiles(plan!).Length);
    }

    [Theory(Timeout = 60_000)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PlanConvertPublish_OverHttp_WithAndWithoutRanges_SameTableAsOneProcessImport(bool ranges)
    {
        var ct = TestContext.Current.CancellationToken;
        var path = WriteNdjson(1000);
        using var expected = await Table.FromNdjsonAsync(path, Options("single"), ct);
        await using var server = new LocalHttpServer(Path.GetDirectoryName(path)!, supportRanges: ranges);
        var url = server.BaseUrl.Join(Path.GetFileName(path)).Value;

        var (plan, _) = await ImportJobs.PlanNdjsonAsync(url, Options("chunked"), "job-n4", new ImportJobOptions { ChunkBytes = 16 << 10 }, ct);

        Assert.True(plan!.Chunks.Count > 5, $"{plan.Chunks.Count} chunks");
        using var actual = await ConvertAndPublishAsync(plan, _root);
        AssertSameTable(expected, actual);
    }

    [Fact(Timeout = 60_000)]
    public async Task Plan_ExistingTable_ReuseReturnsIt()
    {
        var path = WriteNdjson(10);
        using var first = await Table.FromNdjsonAsync(path, Options("exists"), TestContext.Current.CancellationToken);

        var (plan, existing) = await ImportJobs.PlanNdjsonAsync(path, Options("exists"), "job-n3", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(plan);
        using (existing)
        {
            Assert.Equal(first.Url, existing!.Url);
        }
    }
}
