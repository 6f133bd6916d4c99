using System.Globalization;
using System.Text;
using Tlc.Cluster;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// The skip policy on NDJSON import jobs: every kind of bad line is left out and listed in the quarantine with its file
/// line, and the table equals the one-process import of the file without those lines.
/// </summary>
public sealed class ImportJobsNdjsonSkipTests : IDisposable
{
    private readonly TempRoot _root = new("import-jobs-ndjson-skip");

    public void Dispose() => _root.Dispose();

    private NdjsonImportOptions Options(string table) => new()
    {
        Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table, InferenceLines = 50,
    };

    /// <summary>Bad lines by kind: (line content, expected column or null, a word of the reason).</summary>
    private static readonly (string Line, string? Column, string Reason)[] BadKinds =
    [
        ("{\"id\":1,\"score\":\"high\",\"tags\":[1]}", "score", "string"),
        ("{\"id\":2,\"score\":1.5,\"tags\":[1],\"extra\":true}", null, "'extra' is not a column"),
        ("{\"id\":3,\"score\":1.5,\"tags\":[1]", null, "JSON"),
        ("[1,2,3]", null, "object"),
        ("{\"score\":1.5,\"tags\":[1]}", "id", "missing"),
        ("{\"id\":4,\"id\":5,\"score\":1.5,\"tags\":[1]}", null, "twice"),
        ("{\"id\":6,\"score\":1.5,\"tags\":[\"x\"]}", "tags[]", ""),
    ];

    [Fact]
    public async Task Convert_BadLinesOfEveryKindAcrossChunks_SkipPolicy_QuarantineListsExactlyThemAndTableEqualsCleanImport()
    {
        var ct = TestContext.Current.CancellationToken;
        var text = new StringBuilder();
        var clean = new StringBuilder();
        var bad = new List<(long Line, string? Column, string Reason)>();
        var line = 1;
        for (var i = 0; i < 3000; i++)
        {
            string content;
            if (i > 100 && i % 211 == 0)
            {
                var kind = BadKinds[bad.Count % BadKinds.Length];
                content = kind.Line;
                bad.Add((line, kind.Column, kind.Reason));
            }
            else
            {
                content = string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"score\":{i * 0.5},\"tags\":[{i % 3},{i % 5}],\"note\":\"n{i % 7}\"}}");
                clean.Append(content).Append('\n');
            }
            text.Append(content).Append('\n');
            line++;
        }
        Assert.True(bad.Count >= BadKinds.Length * 2, $"{bad.Count} bad lines");
        var path = _root.File("input/mixed.ndjson");
        File.WriteAllText(path, text.ToString());
        var cleanPath = _root.File("input/clean.ndjson");
        File.WriteAllText(cleanPath, clean.ToString());

        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, Options("mixed"), "ndjson-skip",
            new ImportJobOptions { ChunkBytes = 16 << 10, ErrorPolicy = ImportErrorPolicy.Skip }, ct);
        var results = await ImportJobsTestSupport.ConvertAsync(plan!, _root);
        Assert.True(plan!.Chunks.Count > 4, $"{plan.Chunks.Count} chunks");
        var (table, quarantine) = await ImportJobsTestSupport.PublishWithQuarantineAsync(plan, results);
        using var _ = table;
        using var __ = quarantine;
        var listed = quarantine.Rows.Select(r => ((long)r["line"]!, (string?)r["column"], (string)r["reason"]!)).ToList();
        Assert.Equal(bad.Select(b => b.Line), listed.Select(l => l.Item1));
        for (var i = 0; i < bad.Count; i++)
        {
            Assert.Equal(bad[i].Column, listed[i].Item2);
            Assert.Contains(bad[i].Reason, listed[i].Item3, StringComparison.Ordinal);
        }
        Assert.All(quarantine.Rows, r => Assert.Equal(path, r["file"]));
        using var expected = await Table.FromNdjsonAsync(cleanPath, Options("clean"), ct);
        Assert.Equal(3000 - bad.Count, table.RowCount);
        Assert.Equal(expected.Schema.ToJson().ToJsonString(), table.Schema.ToJson().ToJsonString());
        Assert.Equal(expected.ContentHash(), table.ContentHash());
    }

    [Fact]
    public async Task Convert_InvalidUtf8LineAndTruncatedLastLine_SkipPolicy_BothQuarantined()
    {
        var ct = TestContext.Current.CancellationToken;
        var bytes = new List<byte>();
        for (var i = 0; i < 200; i++)
        {
            bytes.AddRange(i == 150
                ? [.. Encoding.UTF8.GetBytes("{\"id\":150,\"note\":\"a"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}\n")]
                : Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"note\":\"n{i}\"}}\n")));
        }
        bytes.AddRange(Encoding.UTF8.GetBytes("{\"id\":200,\"no"));
        var path = _root.File("input/truncated.ndjson");
        File.WriteAllBytes(path, [.. bytes]);

        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, Options("truncated"), "ndjson-truncated",
            new ImportJobOptions { ChunkBytes = 1 << 10, ErrorPolicy = ImportErrorPolicy.Skip }, ct);
        var results = await ImportJobsTestSupport.ConvertAsync(plan!, _root);

        Assert.All(results, r => Assert.Null(r.Error));
        Assert.Equal(199, results.Sum(r => r.Rows));
        var quarantined = results.Where(r => r.Quarantine is not null).Sum(r => r.Quarantine!.Rows);
        Assert.Equal(2, quarantined);
    }

    [Fact]
    public async Task Convert_BadLine_FailPolicy_ChunkErrorNamesFileAndLine()
    {
        var ct = TestContext.Current.CancellationToken;
        var lines = Enumerable.Range(0, 400).Select(i => string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{i},\"score\":{i * 0.5}}}")).ToArray();
        lines[300] = "{\"id\":300,\"score\":\"high\"}";
        var path = _root.File("input/fail.ndjson");
        File.WriteAllLines(path, lines);

        var (plan, _) = await ImportJobs.PlanNdjsonAsync(path, Options("fail"), "ndjson-fail", new ImportJobOptions { ChunkBytes = 2 << 10 }, ct);
        var results = await ImportJobsTestSupport.ConvertAsync(plan!, _root);

        var error = Assert.Single(results.Select(r => r.Error).OfType<string>());
        Assert.Contains($"{path}:line 301, column 'score'", error, StringComparison.Ordinal);
        Assert.Null(results.Single(r => r.Error is not null).Quarantine);
    }
}
