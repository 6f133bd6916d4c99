using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

public sealed class PathTraversalTests : IDisposable
{
    private readonly TempRoot _root = new("traversal");

    public void Dispose() => _root.Dispose();

    private async Task<Table> WriteAsync(TableWriterOptions options)
    {
        await using var writer = await TableWriter.CreateAsync(options);
        writer.AddRow(new Dictionary<string, object?> { ["id"] = 1L });
        return await writer.FinalizeAsync();
    }

    private static TableSchema Schema() => new() { ["id"] = new Int64Schema() };

    /// <summary>Replaces the url of the first chunk in a table's object file, as an attacker editing the file would.</summary>
    private static async Task SetChunkUrlAsync(Url table, string chunkUrl)
    {
        var path = Path.Combine(table.LocalPath, TableObject.FileName);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        json["chunks"]![0]!["url"] = chunkUrl;
        await File.WriteAllTextAsync(path, json.ToJsonString());
    }

    [Fact]
    public async Task ChunkUrlClimbingAboveTheRoot_FailsToOpen()
    {
        // A table outside the project layout: its containment folder is the folder holding it.
        using var written = await WriteAsync(new TableWriterOptions { Schema = Schema(), TableUrl = _root.Url.Join("t"), Settings = _root.Settings });
        await SetChunkUrlAsync(written.Url, "../../../../../etc/passwd");

        var e = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(written.Url));

        Assert.Contains("traversal", e.Message, StringComparison.Ordinal);
        Assert.Contains("../../../../../etc/passwd", e.Message, StringComparison.Ordinal);
        Assert.Contains(TableObject.FileName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChunkUrlLeavingTheProjectRoot_FailsToOpen()
    {
        using var written = await WriteAsync(new TableWriterOptions
        {
            Schema = Schema(), Project = "p", Dataset = "d", Table = "t", Root = _root.Url.Join("root"), Settings = _root.Settings,
        });
        // tables/t → 7 levels up is the folder above the root.
        File.WriteAllText(Path.Combine(_root.Path, "secret.arrow"), "not yours");
        await SetChunkUrlAsync(written.Url, "../../../../../../../secret.arrow");

        var e = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(written.Url));

        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
        Assert.Contains("path traversal refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AbsoluteChunkUrlOutsideTheRoot_FailsToOpen()
    {
        using var written = await WriteAsync(new TableWriterOptions
        {
            Schema = Schema(), Project = "p", Dataset = "d", Table = "t", Root = _root.Url.Join("root"), Settings = _root.Settings,
        });
        await SetChunkUrlAsync(written.Url, "file:///etc/passwd");

        var e = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(written.Url));

        Assert.Contains("'file:///etc/passwd' points outside", e.Message, StringComparison.Ordinal);
        Assert.Contains("path traversal refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ParentUrlLeavingTheRoot_FailsToOpen()
    {
        using var table = await WriteAsync(new TableWriterOptions
        {
            Schema = Schema(), Project = "p", Dataset = "d", Table = "t", Root = _root.Url.Join("root"), Settings = _root.Settings,
        });
        using var revision = await table.Edit().SetValue("id", 0, 2L).CommitAsync();
        var path = Path.Combine(revision.Url.LocalPath, TableObject.FileName);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        json["lineage"]!["parents"]![0]!["url"] = "../../../../../../../elsewhere";
        await File.WriteAllTextAsync(path, json.ToJsonString());

        var e = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(revision.Url));

        Assert.Contains("parent url", e.Message, StringComparison.Ordinal);
        Assert.Contains("outside", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("azure://container/a/../../b")]
    [InlineData("https://host/../x")]
    [InlineData("file:///../etc")]
    [InlineData("<DATA>/../x")]
    public void Url_DotDotAboveItsRoot_IsRefused(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => new Url(text));
        Assert.Contains("climbs above its root", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UrlJoin_DotDotWithinAndAboveTheRoot()
    {
        var url = new Url("azure://container/a/b");

        Assert.Equal(new Url("azure://container/a/c"), url.Join("../c"));
        Assert.Equal(new Url("azure://container/x"), url.Join("../../x"));
        Assert.Throws<ArgumentException>(() => url.Join("../../../x"));
        Assert.Throws<ArgumentException>(() => url.Join("/etc/passwd"));
        Assert.False(new Url("file:///data/root2/t").IsWithin(new Url("file:///data/root")));
    }
}
