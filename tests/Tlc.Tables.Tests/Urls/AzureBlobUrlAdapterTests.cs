using System.Text;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>The Azure Blob adapter against Azurite (see <see cref="Azurite"/>; these tests fail when it is not running).</summary>
public sealed class AzureBlobUrlAdapterTests : IAsyncDisposable
{
    private readonly string _container = Azurite.NewContainerName("adapter");
    private readonly UrlAdapterRegistry _registry = Azurite.NewRegistry();
    private readonly TlcOptions _settings = new();

    public async ValueTask DisposeAsync() => await Azurite.DeleteContainerAsync(_container);

    private Url Root => new($"azure://{_container}/root");

    private TableWriterOptions Options(string table = "t", IfExists ifExists = IfExists.Raise, int? batchRows = null, int? chunkRows = null) => new()
    {
        Schema = new TableSchema { ["id"] = new Int64Schema(), ["name"] = new StringSchema { Nullable = true }, ["x"] = new Float32Schema() },
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = Root,
        IfExists = ifExists,
        Adapters = _registry,
        Settings = _settings,
        BatchRows = batchRows,
        ChunkRows = chunkRows,
    };

    private static Dictionary<string, object?> Row(long i) => new() { ["id"] = i, ["name"] = i % 5 == 0 ? null : $"row {i}", ["x"] = i / 4f };

    private async Task<Table> WriteAsync(int rows, string table = "t", int? batchRows = null, int? chunkRows = null)
    {
        await using var writer = await TableWriter.CreateAsync(Options(table, batchRows: batchRows, chunkRows: chunkRows));
        for (long i = 0; i < rows; i++)
        {
            writer.AddRow(Row(i));
        }
        return await writer.FinalizeAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task TableOnBlobStorage_WriteReopenRandomAccessEditAndLatest()
    {
        var ct = TestContext.Current.CancellationToken;
        using var written = await WriteAsync(1000, batchRows: 100, chunkRows: 300);
        Assert.Equal(Root.Join("projects/p/datasets/d/tables/t"), written.Url);
        Assert.Equal(4, written.Object.Chunks.Count);

        using var table = await Table.OpenAsync(written.Url, _registry, ct);
        Assert.Equal(1000, table.RowCount);
        foreach (var i in new long[] { 999, 0, 299, 300, 650, 101 })
        {
            var row = table.Rows[i];
            Assert.Equal(Row(i)["id"], row["id"]);
            Assert.Equal(Row(i)["name"], row["name"]);
            Assert.Equal(Row(i)["x"], row["x"]);
        }

        using var revision = await table.Edit().SetValue("name", 651, "edited").CommitAsync(ct);
        Assert.Equal(Root.Join("projects/p/datasets/d/tables/t.r0001"), revision.Url);
        Assert.Equal("edited", revision.Rows[651]["name"]);
        Assert.Equal("row 652", revision.Rows[652]["name"]);
        using var reopened = await Table.OpenAsync(written.Url, _registry, ct);
        Assert.Equal("row 651", reopened.Rows[651]["name"]);

        using var latest = await Table.LatestAsync(written.Url, _registry, ct);
        Assert.Equal(revision.Url, latest.Url);
        Assert.Equal("edited", latest.Rows[651]["name"]);
        Assert.Equal(revision.Url, (await table.LatestAsync(cancellationToken: ct)).Url);
        await Assert.ThrowsAsync<StaleRevisionException>(() => table.Edit().SetValue("name", 1, "late").CommitAsync(ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task DenseEdit_OnBlobStorage_ChunkBlobBesideTheObject_TheLosingEditLeavesNone()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await WriteAsync(3_000, batchRows: 1_000);
        var rows = Enumerable.Range(0, 3_000).Select(i => (long)i).ToArray();
        TableEditor Points(float offset)
        {
            var editor = table.Edit()
                .AddColumn("xy", new EmbeddingSchema(2))
                .SetEach("xy", rows, rows.Select(r => (object?)new[] { r + offset, -r }).ToArray());
            editor.DenseBatchRows = 1_024;
            return editor;
        }
        var winner = Points(0.5f);
        var loser = Points(0.25f);

        using var revision = await winner.CommitAsync(ct);
        await Assert.ThrowsAsync<StaleRevisionException>(() => loser.CommitAsync(ct));

        var chunk = revision.Object.Edits!["xy"].Chunk!;
        Assert.Equal([1_024, 1_024, 952], chunk.Batches);
        var blobs = new List<string>();
        await foreach (var entry in _registry.ListAsync(revision.Url, recursive: true, ct))
        {
            blobs.Add(entry.Url.Name);
        }
        Assert.Equal([chunk.Url, TableObject.FileName], blobs.Order(StringComparer.Ordinal));
        using var reopened = await Table.OpenAsync(revision.Url, _registry, ct);
        foreach (var i in new long[] { 2_999, 0, 1_024, 1_500 })
        {
            Assert.Equal([i + 0.5f, -i], (float[])reopened.GetValue("xy", i)!);
        }
        Assert.Equal(rows.Sum(), reopened.ScanBatches(ct).Sum(b => ((Apache.Arrow.Int64Array)b.Column(0)).Values.ToArray().Sum()));
    }

    [Fact(Timeout = 120_000)]
    public async Task CreateNew_TwoWritersRacingForOneBlob_ExactlyOneWins()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = Root.Join("race/object.json");
        var streams = new[] { _registry.OpenWrite(url, WriteMode.CreateNew), _registry.OpenWrite(url, WriteMode.CreateNew) };
        for (var i = 0; i < streams.Length; i++)
        {
            streams[i].Write(Encoding.UTF8.GetBytes($"writer {i}"));
        }

        var outcomes = await Task.WhenAll(streams.Select(async s =>
        {
            try
            {
                await s.CommitAsync(ct);
                return (Won: true, Error: (Exception?)null);
            }
            catch (Exception e)
            {
                return (Won: false, Error: e);
            }
            finally
            {
                await s.DisposeAsync();
            }
        }));

        Assert.Single(outcomes, o => o.Won);
        var loser = Assert.Single(outcomes, o => !o.Won);
        Assert.IsType<UrlAlreadyExistsException>(loser.Error);
        var winner = Array.FindIndex(outcomes, o => o.Won);
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(await _registry.ReadAllBytesAsync(url, ct)));
        await Assert.ThrowsAsync<UrlAlreadyExistsException>(() => _registry.WriteAllBytesAsync(url, new byte[] { 1 }, WriteMode.CreateNew, ct));
        await _registry.WriteAllBytesAsync(url, "replaced"u8.ToArray(), WriteMode.Overwrite, ct);
        Assert.Equal("replaced", Encoding.UTF8.GetString(await _registry.ReadAllBytesAsync(url, ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task TableWriters_RacingToPublishOneTable_OneWinsTheLoserLeavesNoChunks()
    {
        var ct = TestContext.Current.CancellationToken;
        var writers = new[] { await TableWriter.CreateAsync(Options("same"), ct), await TableWriter.CreateAsync(Options("same"), ct) };
        for (var w = 0; w < writers.Length; w++)
        {
            writers[w].AddRow(Row(w));
        }

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                using var table = await w.FinalizeAsync(ct);
                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
            finally
            {
                await w.DisposeAsync();
            }
        }));

        Assert.Single(outcomes, o => o is null);
        Assert.IsType<TableExistsException>(Assert.Single(outcomes, o => o is not null));
        var winner = Array.IndexOf(outcomes, null);
        using var published = await Table.OpenAsync(Root.Join("projects/p/datasets/d/tables/same"), _registry, ct);
        Assert.Equal((long)winner, published.Rows[0]["id"]);
        var chunks = new List<UrlEntry>();
        await foreach (var entry in _registry.ListAsync(published.Url.Join("chunks"), recursive: true, ct))
        {
            chunks.Add(entry);
        }
        Assert.Equal(published.Object.Chunks.Select(c => published.Url.Join(c.Url)).Order(), chunks.Select(c => c.Url).Order());
    }

    [Fact(Timeout = 120_000)]
    public async Task ListAndDelete_FoldersAreBlobPrefixes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var a = await WriteAsync(10, "a");
        using var b = await WriteAsync(10, "b");
        var tables = Root.Join("projects/p/datasets/d/tables");

        var top = await ToListAsync(_registry.ListAsync(Root, recursive: false, ct));
        Assert.Equal([(Root.Join("projects"), true)], top.Select(e => (e.Url, e.IsFolder)));
        var children = await ToListAsync(_registry.ListAsync(tables, recursive: false, ct));
        Assert.Equal([(tables.Join("a"), true), (tables.Join("b"), true)], children.Select(e => (e.Url, e.IsFolder)));
        var inA = await ToListAsync(_registry.ListAsync(a.Url, recursive: false, ct));
        Assert.Equal([(a.Url.Join("chunks"), true), (a.Url.Join(TableObject.FileName), false)], inA.Select(e => (e.Url, e.IsFolder)).Order());
        var files = await ToListAsync(_registry.ListAsync(a.Url, recursive: true, ct));
        Assert.All(files, f => Assert.False(f.IsFolder));
        Assert.All(files, f => Assert.True(f.Length > 0));
        Assert.Equal(a.Object.Chunks.Count + 1, files.Count);
        Assert.True(await _registry.ExistsAsync(a.Url, ct));
        Assert.Empty(await ToListAsync(_registry.ListAsync(Root.Join("nothing/here"), recursive: true, ct)));
        Assert.Empty(await ToListAsync(_registry.ListAsync(new Url($"azure://{Azurite.NewContainerName("absent")}/x"), recursive: false, ct)));

        await _registry.DeleteAsync(a.Url, ct);

        Assert.False(await _registry.ExistsAsync(a.Url, ct));
        Assert.Empty(await ToListAsync(_registry.ListAsync(a.Url, recursive: true, ct)));
        await Assert.ThrowsAsync<TableNotFoundException>(() => Table.OpenAsync(a.Url, _registry, ct));
        Assert.Equal(10, (await Table.OpenAsync(b.Url, _registry, ct)).RowCount);
        await _registry.DeleteAsync(a.Url, ct); // deleting nothing is not an error
    }

    [Fact(Timeout = 120_000)]
    public async Task MissingBlobs_NotFoundErrorsAndExistsFalse()
    {
        var ct = TestContext.Current.CancellationToken;
        var missing = Root.Join("missing.bin");

        Assert.False(await _registry.ExistsAsync(missing, ct));
        Assert.False(_registry.Exists(new Url($"azure://{Azurite.NewContainerName("absent")}/x")));
        await Assert.ThrowsAsync<UrlNotFoundException>(() => _registry.ReadAllBytesAsync(missing, ct));
        await Assert.ThrowsAsync<UrlNotFoundException>(() => _registry.OpenReadAsync(missing, ct));
        Assert.Throws<UrlNotFoundException>(() => _registry.OpenRead(missing));
        await Assert.ThrowsAsync<TableNotFoundException>(() => Table.OpenAsync(Root.Join("projects/p/datasets/d/tables/none"), _registry, ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task WriteStream_DisposedWithoutCommit_PublishesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var url = Root.Join("discarded.bin");
        await using (var stream = _registry.OpenWrite(url, WriteMode.CreateNew))
        {
            stream.Write(new byte[1000]);
        }

        Assert.False(await _registry.ExistsAsync(url, ct));
        using (var stream = _registry.OpenWrite(url, WriteMode.CreateNew))
        {
            stream.Write("sync"u8);
            stream.Commit();
        }
        Assert.Equal("sync", Encoding.UTF8.GetString(await _registry.ReadAllBytesAsync(url, ct)));
        await using var read = await _registry.OpenReadAsync(url, ct);
        Assert.True(read.CanSeek);
        read.Seek(2, SeekOrigin.Begin);
        Assert.Equal((byte)'n', (byte)read.ReadByte());
    }

    [Fact(Timeout = 120_000)]
    public async Task Exports_ToBlobStorage_PublishedOnlyWhenComplete()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await WriteAsync(50);
        var csv = Root.Join("exports/t.csv");
        var ndjson = Root.Join("exports/t.ndjson");

        var result = await table.ExportCsvAsync(csv.Value, new Tlc.Tables.Export.ExportOptions { Columns = ["id", "name"] }, ct);
        await table.ExportJsonAsync(ndjson.Value, cancellationToken: ct);

        Assert.Equal(csv, result.Target);
        var lines = Encoding.UTF8.GetString(await _registry.ReadAllBytesAsync(csv, ct)).TrimEnd('\n').Split('\n');
        Assert.Equal(51, lines.Length);
        Assert.Equal(["id,name", "0,", "1,row 1"], lines[..3]);
        Assert.Equal(50, Encoding.UTF8.GetString(await _registry.ReadAllBytesAsync(ndjson, ct)).TrimEnd('\n').Split('\n').Length);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var parquet = Root.Join("exports/t.parquet");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.ExportParquetAsync(parquet.Value, null, cancelled.Token));
        Assert.False(await _registry.ExistsAsync(parquet, ct));
    }

    private static async Task<List<UrlEntry>> ToListAsync(IAsyncEnumerable<UrlEntry> entries)
    {
        var list = new List<UrlEntry>();
        await foreach (var entry in entries)
        {
            list.Add(entry);
        }
        return list;
    }

    [Fact(Timeout = 120_000)]
    public async Task GarbageCollect_OrphanBulkBlobs_RemovedOnly_ImagesStillDecode()
    {
        var ct = TestContext.Current.CancellationToken;
        Table table;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png) }, Project = "p", Dataset = "d", Table = "t", Root = Root,
            Adapters = _registry, Settings = _settings,
        }, ct))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = new ImageSample(2, 2, ImageColorType.Gray8, [(byte)i, 7, 7, 7]) });
            }
            table = await writer.FinalizeAsync(ct);
        }
        using (table)
        {
            var published = table.ResolveUrl((string)table.Rows[0]["image"]!);
            Assert.StartsWith(Root.Join("projects/p/datasets/d/bulk_data/t/").Value, published.Value, StringComparison.Ordinal);
            // What a writer whose process died leaves: bulk blobs of a write id no object file names.
            var orphans = new[] { "20240101000000-deadbeef/image/00000000.png", "20240101000000-deadbeef/image/00000001.png" }
                .Select(name => Root.Join($"projects/p/datasets/d/bulk_data/t/{name}")).ToList();
            var bytes = await _registry.ReadAllBytesAsync(published, ct);
            foreach (var orphan in orphans)
            {
                await _registry.WriteAllBytesAsync(orphan, bytes, WriteMode.CreateNew, ct);
            }

            var report = await GarbageCollector.CollectAsync(Root, _registry, TimeSpan.Zero, [], dryRun: false, DateTimeOffset.UtcNow, ct);

            Assert.Equal(orphans, report.RemovedBulk);
            Assert.Equal(2L * bytes.Length, report.RemovedBulkBytes);
            Assert.Equal(5, report.BulkFiles);
            Assert.Equal(0, report.RemovedBulkFolders);
            Assert.False(await _registry.ExistsAsync(orphans[0], ct) || await _registry.ExistsAsync(orphans[1], ct));
            using var reopened = await Table.OpenAsync(table.Url, _registry, ct);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal([(byte)i, 7, 7, 7], Assert.IsType<ImageSample>(reopened[i]["image"]).Pixels);
            }
        }
    }
}
