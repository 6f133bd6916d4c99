using Tlc.Schemas;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

public sealed class ImageFolderImportTests : IDisposable
{
    private readonly TempRoot _root = new("imgfolder");

    public void Dispose() => _root.Dispose();

    private ImageFolderImportOptions Options(bool validate = false, IfExists ifExists = IfExists.Reuse) => new()
    {
        Project = "p",
        Dataset = "d",
        Table = "t",
        Root = _root.Url,
        Settings = _root.Settings,
        ValidateImages = validate,
        IfExists = ifExists,
    };

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_FashionMnistTestPngs_TenClassesOfThousandRows()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Fixtures.FashionMnistTestPngs;
        using var table = await Table.FromImageFolderAsync(folder, Options(), cancellationToken: ct);

        var expectedClasses = Directory.GetDirectories(folder).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(10, expectedClasses.Count);
        Assert.Equal(10_000, table.RowCount);
        var label = Assert.IsType<CategoricalLabelSchema>(table.Schema["label"]);
        Assert.Equal(expectedClasses, label.Classes);
        Assert.Equal(ImageSampleType.Url, Assert.IsType<ImageSchema>(table.Schema["image"]).ImageSampleType);

        var labels = table.Rows.Select(r => (int)r["label"]!).ToList();
        Assert.All(Enumerable.Range(0, 10), c => Assert.Equal(1000, labels.Count(l => l == c)));
        Assert.Equal(labels.Order().ToList(), labels);

        // Every row's image is the file of its class folder, in ordinal order of file names.
        var urls = table.Rows.Select(r => (string)r["image"]!).ToList();
        for (var c = 0; c < 10; c++)
        {
            var expected = Directory.GetFiles(Path.Combine(folder, expectedClasses[c]), "*.png").Order(StringComparer.Ordinal)
                .Select(f => Url.FromLocalPath(f).Value).ToList();
            Assert.Equal(expected, urls.Skip(c * 1000).Take(1000).ToList());
        }

        var sample = table[4321];
        var url = Assert.IsType<string>(sample["image"]);
        Assert.StartsWith("file:///", url, StringComparison.Ordinal);
        var image = ImageSample.Decode(File.ReadAllBytes(new Url(url).LocalPath), url);
        Assert.Equal((28, 28, ImageColorType.Gray8), (image.Width, image.Height, image.ColorType));
        Assert.Equal("image_folder", table.Object.Source?["format"]?.GetValue<string>());
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_MixedExtensions_TakesImagesCaseInsensitivelyInOrdinalOrder()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = MixedFolder();
        using var table = await Table.FromImageFolderAsync(folder, Options(validate: true), cancellationToken: ct);

        Assert.Equal(["Zebra", "ant"], ((CategoricalLabelSchema)table.Schema["label"]).Classes);
        var rows = table.Rows.Select(r => (Path.GetRelativePath(folder, table.ResolveUrl((string)r["image"]!).LocalPath), (int)r["label"]!)).ToList();
        Assert.Equal(
        [
            ("Zebra/B.PNG", 0), ("Zebra/a.jpg", 0), ("Zebra/c.WebP", 0), ("Zebra/nested/d.jpeg", 0),
            ("ant/x.png", 1),
        ], rows);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_UnreadableImageWithoutValidation_IsListedAnyway()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = MixedFolder();
        File.WriteAllText(Path.Combine(folder, "ant", "broken.png"), "not an image");
        using var table = await Table.FromImageFolderAsync(folder, Options(), cancellationToken: ct);
        Assert.Equal(6, table.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_ExistingTableWithReuse_ReturnsItWithoutReadingInput()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = MixedFolder();
        using var first = await Table.FromImageFolderAsync(folder, Options(), cancellationToken: ct);
        Directory.Delete(folder, recursive: true);
        using var second = await Table.FromImageFolderAsync(folder, Options(), cancellationToken: ct);
        Assert.Equal(first.Object.Id, second.Object.Id);
        Assert.Equal(5, second.RowCount);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_NoClassFolders_FailsNamingTheFolder()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = _root.File("flat/x");
        Directory.CreateDirectory(folder);
        File.Copy(Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, "Bag"))[0], Path.Combine(folder, "a.png"));
        var e = await Assert.ThrowsAsync<ImportException>(() => Table.FromImageFolderAsync(folder, Options(), cancellationToken: ct));
        Assert.Contains(Url.FromLocalPath(folder).Value, e.Message, StringComparison.Ordinal);
        Assert.Contains("no class sub-folders", e.Message, StringComparison.Ordinal);
        VisionTestData.AssertNothingPublished(_root);
    }

    [Fact(Timeout = 120_000)]
    public async Task FromImageFolder_SchemaOverride_ReplacesTheInferredColumn()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = MixedFolder();
        var options = new ImageFolderImportOptions
        {
            Project = "p", Dataset = "d", Table = "t", Root = _root.Url, Settings = _root.Settings,
            Schema = new Dictionary<string, ColumnSchema> { ["image"] = new ImageSchema(ImageSampleType.Png) },
        };
        using var table = await Table.FromImageFolderAsync(folder, options, cancellationToken: ct);

        // The png sample type keeps the URLs as written and decodes them on read.
        Assert.Equal(ImageSampleType.Png, ((ImageSchema)table.Schema["image"]).ImageSampleType);
        // The folder is inside the root, so the values are stored relative to the table folder (the root moves whole).
        var stored = (string)table.Rows[4]["image"]!;
        Assert.False(Url.IsAbsolute(stored), stored);
        Assert.StartsWith(Url.FromLocalPath(folder).Value + "/", table.ResolveUrl(stored).Value, StringComparison.Ordinal);
        var image = Assert.IsType<ImageSample>(table[4]["image"]);
        Assert.Equal((28, 28), (image.Width, image.Height));

        var wrong = new ImageFolderImportOptions
        {
            Project = "p", Dataset = "d", Table = "t2", Root = _root.Url, Settings = _root.Settings,
            Schema = new Dictionary<string, ColumnSchema> { ["picture"] = new ImageSchema() },
        };
        var e = await Assert.ThrowsAsync<ArgumentException>(() => Table.FromImageFolderAsync(folder, wrong, cancellationToken: ct));
        Assert.Contains("'picture'", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Classes "Zebra" and "ant" (ordinal order puts upper case first) with real images in several formats.</summary>
    private string MixedFolder()
    {
        var folder = _root.File("mixed/root");
        var png = File.ReadAllBytes(Directory.GetFiles(Path.Combine(Fixtures.FashionMnistTestPngs, "Bag")).Order(StringComparer.Ordinal).First());
        var jpeg = File.ReadAllBytes(Path.Combine(Fixtures.LabelmeCoco, "JPEGImages", "2011_000003.jpg"));
        var webp = ImageSample.Decode(png).Encode(ImageEncoding.Webp);
        Write("Zebra/B.PNG", png);
        Write("Zebra/a.jpg", jpeg);
        Write("Zebra/c.WebP", webp);
        Write("Zebra/nested/d.jpeg", jpeg);
        Write("Zebra/notes.txt", "x"u8.ToArray());
        Write("Zebra/.hidden.png", png);
        Write("ant/x.png", png);
        Write(".cache/y.png", png);
        return folder;

        void Write(string relative, byte[] bytes)
        {
            var path = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }
}
