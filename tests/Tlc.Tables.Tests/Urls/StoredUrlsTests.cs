using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>
/// URL values inside the root are stored relative to the table, values under an alias with its token: a root moves
/// whole (to another folder, or to blob storage), and a data folder moves by changing one alias.
/// </summary>
public sealed class StoredUrlsTests : IDisposable
{
    private readonly List<TempRoot> _roots = [];

    public void Dispose()
    {
        foreach (var root in _roots)
        {
            root.Dispose();
        }
    }

    private TempRoot NewRoot(string name)
    {
        var root = new TempRoot(name);
        _roots.Add(root);
        return root;
    }

    private static readonly Url Table = new("file:///data/root/projects/p/datasets/d/tables/t");

    [Fact]
    public void ToStored_UrlInsideTheRoot_RelativeToTheTableFolder()
    {
        var rule = new StoredUrls(Table, null);

        Assert.Equal("../../bulk_data/t/w1/image/00000001.png", rule.ToStored("file:///data/root/projects/p/datasets/d/bulk_data/t/w1/image/00000001.png"));
        Assert.Equal("../../../../../../raw/cat/a.png", rule.ToStored("/data/root/raw/cat/a.png"));
        Assert.Equal("images/a.png", rule.ToStored("file:///data/root/projects/p/datasets/d/tables/t/images/a.png"));
    }

    [Fact]
    public void ToStored_UrlOutsideTheRootAndEveryAlias_KeptAsGiven()
    {
        var rule = new StoredUrls(Table, new UrlAliases(new Dictionary<string, string> { ["DATA"] = "/data/images" }, _ => null));

        Assert.Equal("/data/other/a.png", rule.ToStored("/data/other/a.png"));
        Assert.Equal("https://example.com/a.png", rule.ToStored("https://example.com/a.png"));
        // A sibling of the root whose name starts with the root's, and of the alias's.
        Assert.Equal("file:///data/root2/a.png", rule.ToStored("file:///data/root2/a.png"));
        Assert.Equal("/data/images2/a.png", rule.ToStored("/data/images2/a.png"));
    }

    [Fact]
    public void ToStored_UrlUnderAliases_TokenOfTheLongestMatchingValue()
    {
        var aliases = new UrlAliases(new Dictionary<string, string> { ["DATA"] = "/mnt/data/", ["DATA_IMAGES"] = "file:///mnt/data/images", ["ROOTLESS"] = "/" }, _ => null);
        var rule = new StoredUrls(Table, aliases);

        Assert.Equal("<DATA_IMAGES>/cat/a.png", rule.ToStored("/mnt/data/images/cat/a.png"));
        Assert.Equal("<DATA>/labels/a.txt", rule.ToStored("file:///mnt/data/labels/a.txt"));
        // An alias of the file system root would alias everything: it is not used on write.
        Assert.Equal("/opt/a.png", rule.ToStored("/opt/a.png"));
    }

    [Fact]
    public void ToStored_RelativeOrAliasedValue_KeptAsItIs()
    {
        var rule = new StoredUrls(Table, null);

        Assert.Equal("images/a.png", rule.ToStored("images/a.png"));
        Assert.Equal("<DATA>/a.png", rule.ToStored("<DATA>/a.png"));
        Assert.Equal("", rule.ToStored(""));
    }

    [Fact]
    public void ToStored_TableOutsideTheLayout_RelativeWithinTheFolderHoldingIt()
    {
        var rule = new StoredUrls(new Url("file:///work/tables/t"), null);

        Assert.Equal("bulk_data/w1/a.png", rule.ToStored("file:///work/tables/t/bulk_data/w1/a.png"));
        Assert.Equal("../images/a.png", rule.ToStored("file:///work/tables/images/a.png"));
        Assert.Equal("file:///work/a.png", rule.ToStored("file:///work/a.png"));
    }

    [Fact]
    public void Rebase_RelativeValue_NamesTheSameFileFromTheOtherFolder()
    {
        var from = new Url("file:///r/projects/p/datasets/d2/tables/t");
        var to = new Url("file:///r/projects/p/datasets/d1/tables/joined");
        var rebased = StoredUrls.Rebase("../../bulk_data/t/w/a.png", from, to);

        Assert.Equal(from.Join("../../bulk_data/t/w/a.png"), to.Join(rebased));
        Assert.Equal("https://example.com/a.png", StoredUrls.Rebase("https://example.com/a.png", from, to));
        Assert.Equal("<DATA>/a.png", StoredUrls.Rebase("<DATA>/a.png", from, to));
        Assert.Equal("azure://c/t/x/a.png", StoredUrls.Rebase("x/a.png", new Url("azure://c/t"), new Url("file:///r/t2")));
    }

    private static ImageSample Image(int i) => new(3, 2, ImageColorType.Gray8, Enumerable.Range(0, 6).Select(k => (byte)(i * 10 + k)).ToArray());

    /// <summary>A root as a user builds one: images saved by the writer, an image folder inside the root imported, a revision, a join across datasets.</summary>
    private static async Task<List<Url>> BuildRootAsync(TempRoot root)
    {
        var tables = new List<Url>();
        foreach (var dataset in new[] { "d1", "d2" })
        {
            await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
            {
                Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png), ["i"] = new Int32Schema() },
                Project = "p", Dataset = dataset, Table = "written", Root = root.Url, Settings = root.Settings,
            });
            // Different images in each dataset, under the same table name: a value read against the wrong dataset shows.
            for (var i = dataset == "d1" ? 0 : 4; i < (dataset == "d1" ? 4 : 8); i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = Image(i), ["i"] = i });
            }
            using var written = await writer.FinalizeAsync();
            tables.Add(written.Url);
        }
        var raw = Path.Combine(root.Path, "raw");
        for (var i = 0; i < 4; i++)
        {
            var folder = Path.Combine(raw, i % 2 == 0 ? "even" : "odd");
            Directory.CreateDirectory(folder);
            await File.WriteAllBytesAsync(Path.Combine(folder, $"{i}.png"), Image(i).Encode(ImageEncoding.Png));
        }
        using var imported = await Tlc.Tables.Table.FromImageFolderAsync(raw, new ImageFolderImportOptions
        {
            Project = "p", Dataset = "d1", Table = "folder", Root = root.Url, Settings = root.Settings,
        });
        tables.Add(imported.Url);
        using var first = await Tlc.Tables.Table.OpenAsync(tables[0]);
        using var revision = await first.Edit().SetValue("i", 0, 100).CommitAsync();
        tables.Add(revision.Url);
        using var second = await Tlc.Tables.Table.OpenAsync(tables[1]);
        using var joined = await Tlc.Tables.Table.JoinAsync([revision, second], new DerivedTableOptions { Name = "joined" });
        tables.Add(joined.Url);
        return tables;
    }

    /// <summary>Every image decodes to the one written: row value i (a revision set 100 for 0), or, for the folder import, one of them.</summary>
    private static void AssertImages(Table table)
    {
        Assert.True(table.RowCount > 0);
        for (var row = 0; row < table.RowCount; row++)
        {
            var image = table.Image("image", row)!;
            if (table.Schema.Contains("i"))
            {
                Assert.Equal(Image((int)table.Rows[row]["i"]! % 100).Pixels, image.Pixels);
            }
            else
            {
                Assert.Contains(Enumerable.Range(0, 4), k => Image(k).Pixels.SequenceEqual(image.Pixels));
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task CopiedRoot_OriginalMovedAway_EveryTableReadsEveryImageDecodesAndGcRemovesNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var original = NewRoot("move-original");
        var tables = await BuildRootAsync(original);
        // Values inside the root are stored relative: no value names the original root.
        foreach (var url in tables)
        {
            using var table = await Tlc.Tables.Table.OpenAsync(url, cancellationToken: ct);
            Assert.All(table.Rows, r => Assert.False(Url.IsAbsolute((string)r["image"]!), (string)r["image"]!));
        }

        var copy = NewRoot("move-copy");
        CopyFolder(original.Path, copy.Path);
        var moved = original.Path + "-moved";
        Directory.Move(original.Path, moved);
        try
        {
            var copied = tables.Select(u => copy.Url.Join(u.RelativeTo(original.Url)!)).ToList();
            foreach (var url in copied)
            {
                using var table = await Tlc.Tables.Table.OpenAsync(url, cancellationToken: ct);
                AssertImages(table);
            }
            using (var joined = await Tlc.Tables.Table.OpenAsync(copied[^1], cancellationToken: ct))
            {
                Assert.Equal(8, joined.RowCount);
                Assert.All(Enumerable.Range(0, 8), r => Assert.StartsWith(copy.Url.Value + "/", joined.ResolveUrl((string)joined.Rows[r]["image"]!).Value, StringComparison.Ordinal));
            }

            var dryRun = await GarbageCollector.CollectAsync(copy.Url, new UrlAdapterRegistry(), TimeSpan.Zero, [], dryRun: true, DateTimeOffset.UtcNow, ct);
            Assert.Empty(dryRun.RemovedBulk);
            Assert.Empty(dryRun.Removed);
            var collected = await GarbageCollector.CollectAsync(copy.Url, new UrlAdapterRegistry(), TimeSpan.Zero, [], dryRun: false, DateTimeOffset.UtcNow, ct);
            Assert.Empty(collected.RemovedBulk);
            foreach (var url in copied)
            {
                using var table = await Tlc.Tables.Table.OpenAsync(url, cancellationToken: ct);
                AssertImages(table);
            }
        }
        finally
        {
            Directory.Move(moved, original.Path);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task RootCopiedToBlobStorage_EveryTableReadsTheSame()
    {
        var ct = TestContext.Current.CancellationToken;
        var local = NewRoot("move-to-azure");
        var tables = await BuildRootAsync(local);
        var container = Azurite.NewContainerName("moved");
        var registry = Azurite.NewRegistry();
        try
        {
            var blobRoot = new Url($"azure://{container}/team/root");
            foreach (var file in Directory.GetFiles(local.Path, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(local.Path, file).Replace('\\', '/');
                await registry.WriteAllBytesAsync(blobRoot.Join(relative), await File.ReadAllBytesAsync(file, ct), WriteMode.Overwrite, ct);
            }
            foreach (var url in tables)
            {
                using var before = await Tlc.Tables.Table.OpenAsync(url, cancellationToken: ct);
                using var after = await Tlc.Tables.Table.OpenAsync(blobRoot.Join(url.RelativeTo(local.Url)!), registry, ct);
                Assert.Equal(before.RowCount, after.RowCount);
                AssertImages(after);
                Assert.All(Enumerable.Range(0, (int)after.RowCount), r => Assert.StartsWith(blobRoot.Value + "/", after.ResolveUrl((string)after.Rows[r]["image"]!).Value, StringComparison.Ordinal));
            }
        }
        finally
        {
            await Azurite.DeleteContainerAsync(container);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task AliasOnWrite_DataFolderMoved_TableReadsOnceTheAliasNamesTheNewPlace()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = NewRoot("alias-root");
        var data = NewRoot("alias-data");
        for (var i = 0; i < 3; i++)
        {
            await File.WriteAllBytesAsync(Path.Combine(data.Path, $"{i}.png"), Image(i).Encode(ImageEncoding.Png), ct);
        }
        var aliases = new UrlAliases(new Dictionary<string, string> { ["DATA"] = data.Path }, _ => null);
        var registry = new UrlAdapterRegistry(aliases);
        Url url;
        await using (var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(ImageSampleType.Png) },
            Project = "p", Dataset = "d", Table = "aliased", Root = root.Url, Settings = root.Settings, Adapters = registry,
        }, ct))
        {
            for (var i = 0; i < 3; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = Path.Combine(data.Path, $"{i}.png") });
            }
            using var table = await writer.FinalizeAsync(ct);
            url = table.Url;
            Assert.Equal(["<DATA>/0.png", "<DATA>/1.png", "<DATA>/2.png"], table.Rows.Select(r => (string)r["image"]!));
        }

        var moved = NewRoot("alias-moved");
        CopyFolder(data.Path, moved.Path);
        Directory.Delete(data.Path, recursive: true);
        aliases.Configure(new Dictionary<string, string> { ["DATA"] = moved.Path });
        using var reopened = await Tlc.Tables.Table.OpenAsync(url, registry, ct);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(Image(i).Pixels, Assert.IsType<ImageSample>(reopened[i]["image"]).Pixels);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task ExportCsv_ImageValuesStoredRelative_WritesTheAbsoluteUrls()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = NewRoot("export-urls");
        var tables = await BuildRootAsync(root);
        using var table = await Tlc.Tables.Table.OpenAsync(tables[0], cancellationToken: ct);
        var csv = Path.Combine(root.Path, "out.csv");

        await table.ExportCsvAsync(csv, cancellationToken: ct);

        var lines = await File.ReadAllLinesAsync(csv, ct);
        Assert.Equal(5, lines.Length);
        for (var row = 0; row < 4; row++)
        {
            Assert.StartsWith(table.ResolveUrl((string)table.Rows[row]["image"]!).Value + ",", lines[row + 1], StringComparison.Ordinal);
            Assert.StartsWith(root.Url.Value + "/projects/p/datasets/d1/bulk_data/", lines[row + 1], StringComparison.Ordinal);
        }
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
