using System.Text.Json;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

public sealed class GcVerbTests : IDisposable
{
    private readonly TempRoot _root = new("cli-gc");

    public void Dispose() => _root.Dispose();

    private Task<CliProcess.Result> Tlc(params string[] args) => CliProcess.RunAsync([.. args, "--root", _root.Path]);

    [Fact(Timeout = 120_000)]
    public async Task Gc_OrphanChunkAndBulkData_DryRunListsThem_JsonRunRemovesThem_TableStillReads()
    {
        Table table;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png) },
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings,
        }))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = new ImageSample(2, 2, ImageColorType.Gray8, [(byte)i, 1, 2, 3]) });
            }
            table = await writer.FinalizeAsync();
        }
        using (table)
        {
            // A write of the table whose process died: its bulk files and its staged chunk, named by no object file.
            var orphan = Path.Combine(_root.Path, "projects", "p", "datasets", "d", "bulk_data", "t", "20240101000000-deadbeef", "image", "00000000.png");
            Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
            File.Copy(table.ResolveUrl((string)table.Rows[0]["image"]!).LocalPath, orphan);
            var chunk = Path.Combine(table.Url.LocalPath, "chunks", "20240101000000-deadbeef-00000.arrow");
            File.WriteAllBytes(chunk, new byte[100]);

            var dry = await Tlc("gc", "--min-age-hours", "0", "--dry-run");
            Assert.Equal(0, dry.ExitCode);
            Assert.Contains($"would remove {Url.FromLocalPath(orphan)}", dry.Stdout, StringComparison.Ordinal);
            Assert.Contains("1 unreferenced bulk data file(s)", dry.Stdout, StringComparison.Ordinal);
            Assert.True(File.Exists(orphan));

            var result = await Tlc("gc", "--min-age-hours", "0", "--json");

            Assert.Equal(0, result.ExitCode);
            using var json = JsonDocument.Parse(result.Stdout);
            Assert.Equal([Url.FromLocalPath(chunk).Value], json.RootElement.GetProperty("removed").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([Url.FromLocalPath(orphan).Value], json.RootElement.GetProperty("removed_bulk").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(new FileInfo(table.ResolveUrl((string)table.Rows[0]["image"]!).LocalPath).Length, json.RootElement.GetProperty("removed_bulk_bytes").GetInt64());
            Assert.Equal(4, json.RootElement.GetProperty("bulk_files").GetInt32());
            Assert.Equal(2, json.RootElement.GetProperty("removed_bulk_folders").GetInt32());
            Assert.False(File.Exists(orphan) || File.Exists(chunk));
            using var reopened = await Table.OpenAsync(table.Url);
            Assert.Equal([2, 1, 2, 3], Assert.IsType<ImageSample>(reopened[2]["image"]).Pixels);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Gc_CopiedRootWithTheOriginalMovedAway_RemovesNothingAndEveryImageDecodes()
    {
        Url url;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png) },
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings,
        }))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = new ImageSample(2, 2, ImageColorType.Gray8, [(byte)i, 1, 2, 3]) });
            }
            using var table = await writer.FinalizeAsync();
            url = table.Url;
        }
        using var copy = new TempRoot("cli-gc-copy");
        foreach (var file in Directory.GetFiles(_root.Path, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(copy.Path, Path.GetRelativePath(_root.Path, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        var moved = _root.Path + "-moved";
        Directory.Move(_root.Path, moved);
        try
        {
            var result = await CliProcess.RunAsync(["gc", "--min-age-hours", "0", "--json", "--root", copy.Path]);

            Assert.Equal(0, result.ExitCode);
            using var json = JsonDocument.Parse(result.Stdout);
            Assert.Empty(json.RootElement.GetProperty("removed_bulk").EnumerateArray());
            Assert.Equal(3, json.RootElement.GetProperty("bulk_files").GetInt32());
            using var reopened = await Table.OpenAsync(copy.Url.Join(url.RelativeTo(_root.Url)!));
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal([(byte)i, 1, 2, 3], Assert.IsType<ImageSample>(reopened[i]["image"]).Pixels);
            }
        }
        finally
        {
            Directory.Move(moved, _root.Path);
        }
    }
}
