using System.Text;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// Bad CSV input imported as a job, chunk by chunk: under the fail policy the error names the file and line (and
/// column), as the one-process import does; under the skip policy exactly the bad records are quarantined and the rest
/// is imported.
/// </summary>
public sealed class ImportJobsBadInputTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-bad");

    public void Dispose() => _root.Dispose();

    public sealed record Case(string Name, string Text, int InferenceRows, string Location, string Problem, long[] BadLines, bool Skippable = true,
        Dictionary<string, ColumnSchema>? Schema = null)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<Case> RecordCases() =>
    [
        new Case("ragged-short", "a,b\n1,2\n3\n4,5\n", 10, "line 3", "1 field, but the header has 2", [3]),
        new Case("ragged-long", "a,b\n1,2\n3,4,5\n6,7\n", 10, "line 3", "3 fields, but the header has 2", [3]),
        new Case("ragged-after-quoted-newline", "a,b\n\"x\ny\",1\n2\nz,3\n", 10, "line 4", "1 field, but the header has 2", [4]),
        new Case("wrong-type-after-sample", "a,b\n1,x\n2,y\nthree,z\n4,w\n", 2, "line 4, column 'a'", "'three' is not", [4]),
        new Case("wrong-type-after-multiline", "a,b\n1,\"p\nq\"\n2,r\nfour,s\n", 2, "line 5, column 'a'", "'four' is not", [5]),
        new Case("empty-not-nullable", "a,b\n1,2\n3,4\n,5\n6,7\n", 2, "line 4, column 'a'", "empty value", [4]),
        new Case("unknown-class", "id,label\n1,cat\n2,dog\n3,fish\n4,cat\n", 10, "line 4, column 'label'", "'fish' is not a class", [4],
            Schema: new() { ["label"] = new CategoricalLabelSchema(["cat", "dog"]) }),
        new Case("two-bad-records", "a,b\n1,2\nx,3\n4,5\n6\n7,8\n", 1, "line 3, column 'a'", "'x' is not", [3, 5]),
        new Case("bad-bool", "a,flag\n1,true\n2,false\n3,maybe\n", 2, "line 4, column 'flag'", "'maybe' is not", [4]),
        new Case("out-of-declared-range", "p\n0.1\n0.2\n1.5\n0.4\n", 10, "line 4, column 'p'", "outside [0, 1]", [4],
            Schema: new() { ["p"] = new Float32Schema { Min = 0, Max = 1 } }),
        new Case("class-value-outside-map", "id,label\n1,0\n2,1\n3,7\n4,1\n5,-1\n6,0\n", 10, "line 4, column 'label'", "7", [4, 6],
            Schema: new() { ["label"] = new CategoricalLabelSchema(["cat", "dog"]) }),
    ];

    private string Write(string name, byte[] bytes)
    {
        var path = _root.File($"input/{name}");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private CsvImportOptions Options(string table, Case? c = null) => new()
    {
        Project = "p", Dataset = "d", Table = table, Root = _root.Url, Settings = _root.Settings, IfExists = IfExists.Raise,
        InferenceRows = c?.InferenceRows ?? 10_000, Schema = c?.Schema,
    };

    private async Task<(ImportPlan Spec, ImportChunkConversion[] Results)> ConvertAsync(string path, string table, Case c, ImportErrorPolicy policy)
    {
        var (plan, _) = await ImportJobs.PlanCsvAsync(path, Options(table, c), $"job-{table}", new ImportJobOptions { ChunkBytes = Math.Max(8, new FileInfo(path).Length / 6), ErrorPolicy = policy });
        var results = new List<ImportChunkConversion>();
        foreach (var chunk in plan!.Chunks)
        {
            results.Add(await ImportJobs.ConvertAsync(plan.Spec, chunk, ImportJobs.WriteId(plan.Spec.JobId, chunk.Index, 1, "tok00000"), new UrlAdapterRegistry(), _root.Settings));
        }
        return (plan, [.. results]);
    }

    [Theory]
    [MemberData(nameof(RecordCases))]
    public async Task Convert_BadRecord_FailPolicy_ErrorNamesFileLineAndProblem(Case c)
    {
        var path = Write($"{c.Name}.csv", Encoding.UTF8.GetBytes(c.Text));

        var (plan, results) = await ConvertAsync(path, $"{c.Name}-fail", c, ImportErrorPolicy.Fail);

        Assert.True(plan.Chunks.Count > 1, "the input is cut into several chunks");
        var errors = results.Select(r => r.Error).OfType<string>().ToList();
        Assert.Equal(c.BadLines.Length, errors.Count);
        Assert.Contains($"{path}:{c.Location}", errors[0], StringComparison.Ordinal);
        Assert.Contains(c.Problem, errors[0], StringComparison.Ordinal);
        Assert.All(results.Where(r => r.Error is not null), r => Assert.Null(r.File));
    }

    [Theory]
    [MemberData(nameof(RecordCases))]
    public async Task Convert_BadRecord_SkipPolicy_QuarantinesExactlyTheBadLines(Case c)
    {
        var path = Write($"{c.Name}.csv", Encoding.UTF8.GetBytes(c.Text));

        var (plan, results) = await ConvertAsync(path, $"{c.Name}-skip", c, ImportErrorPolicy.Skip);

        if (!c.Skippable)
        {
            // Checked by the table writer after parsing: the chunk fails as under the fail policy (see docs/operations.md).
            Assert.Contains(results, r => r.Error?.Contains(c.Problem, StringComparison.Ordinal) == true);
            return;
        }
        var (table, quarantine) = await ImportJobsTestSupport.PublishWithQuarantineAsync(plan, results);
        using var _ = table;
        using var __ = quarantine;
        Assert.True(c.BadLines.SequenceEqual(quarantine.Rows.Select(r => (long)r["line"]!)), string.Join(" / ", quarantine.Rows.Select(r => $"{r["line"]} {r["column"]} {r["reason"]}")) + " chunks " + string.Join(";", plan.Chunks.Select(k => k.Descriptor)));
        Assert.All(quarantine.Rows, r => Assert.Equal(path, r["file"]));
        Assert.Contains(c.Problem, (string)quarantine.Rows[0]["reason"]!, StringComparison.Ordinal);
        var records = c.Text.Count(ch => ch == '\n') - 1 - c.Text.Split('"').Where((_, i) => i % 2 == 1).Sum(q => q.Count(ch => ch == '\n'));
        Assert.Equal(records - c.BadLines.Length, table.RowCount);
    }

    [Theory]
    [InlineData(ImportErrorPolicy.Fail)]
    [InlineData(ImportErrorPolicy.Skip)]
    public async Task Convert_FileTruncatedInsideAQuotedField_FailNamesTheLine_SkipQuarantinesTheRecord(ImportErrorPolicy policy)
    {
        var text = "a,b\n" + string.Concat(Enumerable.Range(0, 300).Select(i => $"{i},\"v {i}\"\n")) + "300,\"cut off her";
        var path = Write($"truncated-{policy}.csv", Encoding.UTF8.GetBytes(text));
        var c = new Case("truncated", text, 50, "line 302", "a quoted field is not closed", [302]);

        var oneProcess = await Assert.ThrowsAsync<ImportException>(() => Table.FromCsvAsync(path, Options($"single-{policy}", c)));
        var (plan, results) = await ConvertAsync(path, $"truncated-{policy}", c, policy);

        Assert.Contains($"{path}:line 302: a quoted field is not closed before the end of the input", oneProcess.Message, StringComparison.Ordinal);
        if (policy == ImportErrorPolicy.Fail)
        {
            var error = Assert.Single(results.Select(r => r.Error).OfType<string>());
            Assert.Equal(oneProcess.Message, error);
            return;
        }
        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(300, results.Sum(r => r.Rows));
        Assert.Equal(1, results.Sum(r => r.Quarantine?.Rows ?? 0));
        Assert.True(plan.Chunks.Count > 1);
    }

    [Fact]
    public async Task Convert_InvalidUtf8InALaterChunk_ErrorNamesFileAndLine()
    {
        // Far enough in that planning (which decodes the inference sample and a read-ahead buffer) never sees it.
        var bytes = Encoding.UTF8.GetBytes("a,b\n" + string.Concat(Enumerable.Repeat("1,x\n", 40_000)) + "3,").Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("\n4,z\n")).ToArray();
        var path = Write("utf8.csv", bytes);
        var c = new Case("utf8", "", 2, "", "", [40_002]);

        var (_, results) = await ConvertAsync(path, "utf8", c, ImportErrorPolicy.Fail);

        var error = Assert.Single(results.Select(r => r.Error).OfType<string>());
        Assert.Contains($"{path}:line 40002", error, StringComparison.Ordinal);
        Assert.Contains("invalid UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_InvalidUtf8AmongOtherBadRecords_SkipPolicy_QuarantinesEachAndKeepsTheRest()
    {
        // Invalid bytes in three chunks (a lone continuation byte, a truncated sequence, an overlong encoding), one of them
        // inside a quoted field spanning two lines, plus a ragged record and a value outside the declared range.
        var good = new StringBuilder("a,b,p\n");
        var bad = new List<(long Line, byte[] Bytes)>();
        var lines = new List<byte[]>();
        for (var i = 0; i < 3000; i++)
        {
            lines.Add(Encoding.UTF8.GetBytes($"{i},v{i},0.5\n"));
        }
        lines[500] = [.. Encoding.UTF8.GetBytes("500,x"), 0x80, .. Encoding.UTF8.GetBytes("y,0.5\n")];
        lines[1500] = [.. Encoding.UTF8.GetBytes("1500,\"two\nli"), 0xE2, 0x82, .. Encoding.UTF8.GetBytes("nes\",0.5\n")];
        lines[2500] = [.. Encoding.UTF8.GetBytes("2500,"), 0xC0, 0xAF, .. Encoding.UTF8.GetBytes(",0.5\n")];
        lines[700] = Encoding.UTF8.GetBytes("700,short\n");
        lines[2000] = Encoding.UTF8.GetBytes("2000,big,7.5\n");
        var bytes = Encoding.UTF8.GetBytes("a,b,p\n").Concat(lines.SelectMany(l => l)).ToArray();
        var path = Write("utf8-skip.csv", bytes);
        // File lines: the header is line 1, record i starts on line i + 2, and record 1500 spans two lines.
        long[] expected = [502, 702, 1502, 2003, 2503];
        var c = new Case("utf8-skip", "", 10, "", "", expected, Schema: new() { ["p"] = new Float32Schema { Min = 0, Max = 1 } });

        var (plan, results) = await ConvertAsync(path, "utf8-skip", c, ImportErrorPolicy.Skip);
        var (table, quarantine) = await ImportJobsTestSupport.PublishWithQuarantineAsync(plan, results);
        using var _ = table;
        using var __ = quarantine;

        Assert.True(plan.Chunks.Count > 3);
        Assert.Equal(expected, quarantine.Rows.Select(r => (long)r["line"]!).Order());
        var reasons = quarantine.Rows.ToDictionary(r => (long)r["line"]!, r => (string)r["reason"]!);
        Assert.All(new long[] { 502, 1502, 2503 }, l => Assert.Contains("invalid UTF-8", reasons[l], StringComparison.Ordinal));
        Assert.Contains("but the header has 3", reasons[702], StringComparison.Ordinal);
        Assert.Contains("outside [0, 1]", reasons[2003], StringComparison.Ordinal);
        var cleaned = Write("utf8-cleaned.csv", Encoding.UTF8.GetBytes("a,b,p\n")
            .Concat(lines.Where((_, i) => i is not (500 or 700 or 1500 or 2000 or 2500)).SelectMany(l => l)).ToArray());
        using var oneProcess = await Table.FromCsvAsync(cleaned, Options("utf8-cleaned", c));
        Assert.Equal(2995, table.RowCount);
        Assert.Equal(oneProcess.ContentHash(), table.ContentHash());
    }

    [Fact]
    public async Task Plan_InvalidUtf8InTheHeader_SkipPolicy_FailsNamingLineOne()
    {
        var path = Write("utf8-header.csv", [.. Encoding.UTF8.GetBytes("a,b"), 0xFF, .. Encoding.UTF8.GetBytes("\n1,2\n")]);

        var error = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanCsvAsync(path, Options("utf8-header"), "job-utf8-header",
            new ImportJobOptions { ErrorPolicy = ImportErrorPolicy.Skip }));

        Assert.Contains($"{path}:line 1: the header holds invalid UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("empty", "", "empty file")]
    [InlineData("duplicate-header", "a,b,a\n1,2,3\n", "duplicate column name 'a'")]
    [InlineData("header-lacks-declared", "x,y\n1,2\n", "declares column 'label'")]
    public async Task Plan_BadHeader_FailsBeforeAnyJob_NamingFileAndLine(string name, string text, string problem)
    {
        var path = Write($"{name}.csv", Encoding.UTF8.GetBytes(text));
        var options = new CsvImportOptions
        {
            Project = "p", Dataset = "d", Table = name, Root = _root.Url, Settings = _root.Settings,
            Schema = name == "header-lacks-declared" ? new Dictionary<string, ColumnSchema> { ["label"] = new StringSchema() } : null,
        };

        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanCsvAsync(path, options, "job"));

        Assert.Contains($"{path}:line 1", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_MissingFile_NamesIt()
    {
        var missing = Path.Combine(_root.Path, "input", "nope.csv");

        var e = await Assert.ThrowsAnyAsync<Exception>(() => ImportJobs.PlanCsvAsync(missing, Options("missing"), "job"));

        Assert.Contains("nope.csv", e.Message, StringComparison.Ordinal);
    }

    private async Task<string[]> NdjsonErrorsAsync(string name, byte[] bytes, int inferenceLines)
    {
        var path = Write(name, bytes);
        var options = new NdjsonImportOptions
        {
            Project = "p", Dataset = "d", Table = name.Replace('.', '-'), Root = _root.Url, Settings = _root.Settings, IfExists = IfExists.Raise, InferenceLines = inferenceLines,
        };
        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, options, $"job-{name}", new ImportJobOptions { ChunkBytes = Math.Max(8, bytes.Length / 6) });
        Assert.True(plan!.Chunks.Count > 1, "the input is cut into several chunks");
        var errors = new List<string>();
        foreach (var chunk in plan.Chunks)
        {
            var result = await ImportJobs.ConvertAsync(plan.Spec, chunk, ImportJobs.WriteId(plan.Spec.JobId, chunk.Index, 1, "tok00000"), new UrlAdapterRegistry(), _root.Settings);
            if (result.Error is { } error)
            {
                Assert.Null(result.File);
                errors.Add(error);
            }
        }
        return [.. errors];
    }

    private static byte[] Lines(int count, Func<int, string> line) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, count).Select(n => line(n) + "\n")));

    [Theory]
    [InlineData("malformed.ndjson", 150, "line 150", "malformed JSON")]
    [InlineData("array.ndjson", 120, "line 120", "expected a JSON object, got an array")]
    [InlineData("wrongtype.ndjson", 170, "line 170, column 'n'", "expected int64")]
    [InlineData("latekey.ndjson", 190, "line 190", "the key 'late' is not a column")]
    [InlineData("missing.ndjson", 140, "line 140, column 'n'", "the key is missing")]
    public async Task Convert_NdjsonBadLineInALaterChunk_ErrorNamesFileAndLine(string name, int badLine, string location, string problem)
    {
        var bytes = Lines(200, n => n != badLine ? $"{{\"n\":{n},\"s\":\"v{n}\"}}" : name switch
        {
            "malformed.ndjson" => $"{{\"n\":{n},}}",
            "array.ndjson" => "[1, 2]",
            "wrongtype.ndjson" => $"{{\"n\":\"text\",\"s\":\"v{n}\"}}",
            "latekey.ndjson" => $"{{\"n\":{n},\"s\":\"v{n}\",\"late\":1}}",
            _ => $"{{\"s\":\"v{n}\"}}",
        });

        var errors = await NdjsonErrorsAsync(name, bytes, inferenceLines: 20);

        var error = Assert.Single(errors);
        Assert.Contains($"{name}:{location}", error, StringComparison.Ordinal);
        Assert.Contains(problem, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_NdjsonInvalidUtf8InALaterChunk_ErrorNamesFileAndLine()
    {
        // Far enough in that planning's sample and read-ahead never see it.
        var bytes = Lines(20_000, n => $"{{\"n\":{n}}}").Concat(Encoding.UTF8.GetBytes("{\"n\":\"")).Concat(new byte[] { 0xC3, 0x28 })
            .Concat(Encoding.UTF8.GetBytes("\"}\n{\"n\":1}\n")).ToArray();

        var error = Assert.Single(await NdjsonErrorsAsync("latin.ndjson", bytes, inferenceLines: 10));

        Assert.Contains("latin.ndjson:line 20001", error, StringComparison.Ordinal);
        Assert.Contains("invalid UTF-8", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("not-parquet")]
    public async Task Plan_UnreadableParquet_FailsBeforeAnyJob_NamingTheFile(string kind)
    {
        var path = kind == "truncated"
            ? Write("truncated.parquet", File.ReadAllBytes(ParquetImportTests.WriteTypedParquet(_root.File("input/whole.parquet")))[..100])
            : Write("not-parquet.parquet", Encoding.UTF8.GetBytes("a,b\n1,2\n"));
        var options = new ParquetImportOptions { Project = "p", Dataset = "d", Table = kind, Root = _root.Url, Settings = _root.Settings };

        var e = await Assert.ThrowsAsync<ImportException>(() => ImportJobs.PlanParquetAsync(path, options, "job"));

        Assert.Contains($"{path}:footer", e.Message, StringComparison.Ordinal);
        Assert.Contains("not a readable Parquet file", e.Message, StringComparison.Ordinal);
    }
}
