using Tlc.Schemas;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

public sealed class HttpUrlAdapterTests : IDisposable
{
    private const int Rows = 20_000;
    private const int BatchRows = 500;
    private readonly TempRoot _root = new("http");

    public void Dispose() => _root.Dispose();

    private static string Text(long i) => $"row {i}: " + new string((char)('a' + (i % 26)), 150);

    /// <summary>A table written locally: one chunk of 40 record batches, about 3.6 MB.</summary>
    private async Task<Table> WriteLocalAsync()
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["id"] = new Int64Schema(), ["text"] = new StringSchema(), ["x"] = new Float32Schema() },
            Project = "p", Dataset = "d", Table = "served", Root = _root.Url, Settings = _root.Settings, BatchRows = BatchRows,
        });
        for (long i = 0; i < Rows; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["id"] = i, ["text"] = Text(i), ["x"] = i * 0.5f });
        }
        return await writer.FinalizeAsync();
    }

    private static Url Served(LocalHttpServer server, Table local, TempRoot root) =>
        server.BaseUrl.Join(local.Url.RelativeTo(root.Url)!);

    [Fact(Timeout = 120_000)]
    public async Task OpenTable_ServerWithRanges_RandomAccessFetchesOnlyPartOfTheChunk()
    {
        var ct = TestContext.Current.CancellationToken;
        using var local = await WriteLocalAsync();
        var chunk = local.Object.Chunks.Single();
        var chunkPath = $"{local.Url.RelativeTo(_root.Url)}/{chunk.Url}";
        await using var server = new LocalHttpServer(_root.Path);

        using var table = await Table.OpenAsync(Served(server, local, _root), new UrlAdapterRegistry(new UrlAliases(environment: _ => null)), ct);
        foreach (var i in new long[] { 12_345, 17, 19_999 })
        {
            var row = table.Rows[i];
            Assert.Equal(i, row["id"]);
            Assert.Equal(Text(i), row["text"]);
            Assert.Equal(i * 0.5f, row["x"]);
        }

        var served = server.BytesServed(chunkPath);
        Assert.True(served > 0, "nothing of the chunk was fetched");
        Assert.True(served < chunk.Bytes / 4, $"random access to 3 of 40 batches fetched {served} of the chunk's {chunk.Bytes} bytes: {string.Join("; ", server.Requests)}");
        Assert.Contains(server.Requests, r => r.StartsWith($"GET /{chunkPath} bytes=", StringComparison.Ordinal));
        Assert.Equal(Rows, table.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task OpenTable_ServerWithoutRanges_DownloadsWholeChunkAndReadsRightValues()
    {
        var ct = TestContext.Current.CancellationToken;
        using var local = await WriteLocalAsync();
        var chunk = local.Object.Chunks.Single();
        var chunkPath = $"{local.Url.RelativeTo(_root.Url)}/{chunk.Url}";
        await using var server = new LocalHttpServer(_root.Path, supportRanges: false);

        using var table = await Table.OpenAsync(Served(server, local, _root), new UrlAdapterRegistry(new UrlAliases(environment: _ => null)), ct);
        Assert.Equal(Text(14_321), table.Rows[14_321]["text"]);
        Assert.Equal(0L, table.Rows[0]["id"]);

        Assert.Equal(chunk.Bytes, server.BytesServed(chunkPath));
        // A full scan reads every row.
        Assert.Equal(Rows * (Rows - 1L) / 2, table.ScanBatches().Sum(b => ((Apache.Arrow.Int64Array)b.Column(0)).Values.ToArray().Sum()));
    }

    [Fact(Timeout = 120_000)]
    public async Task HttpAdapter_Writes_AreRefusedAsReadOnly()
    {
        var ct = TestContext.Current.CancellationToken;
        using var local = await WriteLocalAsync();
        await using var server = new LocalHttpServer(_root.Path);
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        var url = Served(server, local, _root);
        using var table = await Table.OpenAsync(url, registry, ct);

        var write = Assert.Throws<NotSupportedException>(() => registry.OpenWrite(url.Join("x.bin"), WriteMode.CreateNew));
        Assert.Contains("read-only", write.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(() => registry.WriteAllBytesAsync(url.Join("x.bin"), new byte[] { 1 }, WriteMode.Overwrite, ct));
        await Assert.ThrowsAsync<NotSupportedException>(() => registry.DeleteAsync(url, ct));
        var direct = Assert.Throws<NotSupportedException>(() => new HttpUrlAdapter().OpenWrite(url, WriteMode.Overwrite));
        Assert.Contains(url.Value, direct.Message, StringComparison.Ordinal);
        var edit = await Assert.ThrowsAsync<NotSupportedException>(() => table.Edit().SetValue("id", 0, 42L).CommitAsync(ct));
        Assert.Contains("read-only", edit.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NotSupportedException>(async () =>
        {
            await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
            {
                Schema = new TableSchema { ["id"] = new Int64Schema() }, Root = server.BaseUrl, Adapters = registry, Settings = _root.Settings,
            });
            writer.AddRow(new Dictionary<string, object?> { ["id"] = 1L });
            await writer.FinalizeAsync();
        });
        Assert.DoesNotContain(server.Requests, r => !r.StartsWith("GET ", StringComparison.Ordinal) && !r.StartsWith("HEAD ", StringComparison.Ordinal));
    }

    [Fact(Timeout = 120_000)]
    public async Task HttpAdapter_MissingResources_NotFoundAndExists()
    {
        var ct = TestContext.Current.CancellationToken;
        using var local = await WriteLocalAsync();
        await using var server = new LocalHttpServer(_root.Path);
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        var url = Served(server, local, _root);

        Assert.True(await registry.ExistsAsync(url.Join("object.tlc.json"), ct));
        Assert.False(await registry.ExistsAsync(url.Join("nope.json"), ct));
        await Assert.ThrowsAsync<UrlNotFoundException>(() => registry.ReadAllBytesAsync(url.Join("nope.json"), ct));
        await Assert.ThrowsAsync<UrlNotFoundException>(() => registry.OpenReadAsync(url.Join("nope.json"), ct));
        await Assert.ThrowsAsync<TableNotFoundException>(() => Table.OpenAsync(server.BaseUrl.Join("projects/p/datasets/d/tables/none"), registry, ct));
    }
}
