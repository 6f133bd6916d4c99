using System.Text;
using Tlc.Tables.Import;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class CsvRecordBoundariesTests : IDisposable
{
    private readonly TempRoot _root = new("csv-split");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void Split_QuotedNewlines_NeverCutInsideAQuotedField()
    {
        var text = new StringBuilder("a,b\n");
        for (var i = 0; i < 2000; i++)
        {
            text.Append(i % 7 == 0 ? $"{i},\"multi\nline \"\"quoted\"\"\r\nfield\"\n" : $"{i},plain\r\n");
        }
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        var segments = CsvRecordBoundaries.Split(new MemoryStream(bytes), targetBytes: 97);

        Assert.True(segments.Count > 50);
        Assert.Equal(0, segments[0].Start);
        Assert.Equal(bytes.Length, segments[^1].End);
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            if (i > 0)
            {
                Assert.Equal(segments[i - 1].End, s.Start);
            }
            var slice = Encoding.UTF8.GetString(bytes, (int)s.Start, (int)s.Length);
            Assert.Equal(0, slice.Count(c => c == '"') % 2);
            Assert.EndsWith("\n", slice, StringComparison.Ordinal);
            Assert.Equal(1 + Encoding.UTF8.GetString(bytes, 0, (int)s.Start).Count(c => c == '\n'), s.FirstLine);
        }
    }

    [Fact]
    public void Split_NoTrailingNewline_LastSegmentEndsAtFileEnd()
    {
        var bytes = Encoding.UTF8.GetBytes("x\n1\n2\n3");
        var segments = CsvRecordBoundaries.Split(new MemoryStream(bytes), targetBytes: 2);
        Assert.Equal(bytes.Length, segments[^1].End);
        Assert.Equal("2\n3", Encoding.UTF8.GetString(bytes, (int)segments[^1].Start, (int)segments[^1].Length));
        Assert.Equal(3, segments[^1].FirstLine);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCsv_LargeFileParallel_EqualsOnePassImport()
    {
        // Over the parallel threshold (8 MiB): imported from the file (ranges in parallel) and over HTTP (one pass).
        var path = _root.File("input/big.csv");
        var random = new Random(3);
        await using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync("id,x,text,flag");
            for (var i = 0; i < 300_000; i++)
            {
                var text = i % 1000 == 0 ? "\"with, comma and\nnewline\"" : $"t{random.Next(1000)}";
                await writer.WriteLineAsync($"{i},{random.NextDouble():R},{text},{(i % 3 == 0 ? "true" : "false")}");
            }
        }
        Assert.True(new FileInfo(path).Length > 8 << 20);
        using var parallel = await Table.FromCsvAsync(path, new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Table = "parallel" });
        await using var server = new LocalHttpServer(Path.GetDirectoryName(path)!);
        using var onePass = await Table.FromCsvAsync(server.BaseUrl.Join("big.csv").Value, new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Table = "one_pass" });

        Assert.Equal(300_000, parallel.RowCount);
        Assert.Equal(onePass.ContentHash(), parallel.ContentHash());
        Assert.Equal("with, comma and\nnewline", parallel.Rows[1000]["text"]);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromCsv_LargeFileParallel_ErrorNamesTheRightLine()
    {
        var path = _root.File("input/bad-big.csv");
        await using (var writer = new StreamWriter(path))
        {
            await writer.WriteLineAsync("id,x");
            for (var i = 0; i < 700_000; i++)
            {
                await writer.WriteLineAsync(i == 600_000 ? $"{i},oops" : $"{i},{i * 0.25}");
            }
        }
        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromCsvAsync(path, new CsvImportOptions { Root = _root.Url, Settings = _root.Settings, Table = "bad" }));
        Assert.Contains("line 600002, column 'x'", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_root.Path, "projects/default/datasets/default/tables/bad")) &&
            File.Exists(Path.Combine(_root.Path, "projects/default/datasets/default/tables/bad/object.tlc.json")));
    }
}
