using System.Globalization;
using Tlc.DataTypes;
using Tlc.Tables.Export;
using Tlc.Testing;
using YamlDotNet.RepresentationModel;
using static Tlc.Tables.Tests.Export.DetectionTables;

namespace Tlc.Tables.Tests.Export;

public sealed class YoloExportTests : IDisposable
{
    private readonly TempRoot _root = new("yolo-export");

    public void Dispose() => _root.Dispose();

    private static List<(int Class, double[] Box)> ReadLabels(string path) => File.ReadAllLines(path)
        .Select(line => line.Split(' '))
        .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), p.Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray()))
        .ToList();

    private static YamlMappingNode ReadYaml(string path)
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(path);
        yaml.Load(reader);
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node[key]).Value!;

    /// <summary>The expected YOLO line of a pixel xyxy box: class index in the sorted value map, normalised centre and size.</summary>
    private static (int Class, double[] Box) Expected(BoundingBox2D b, int width, int height) =>
        (Categories.Keys.ToList().IndexOf(b.Label),
         [(b.X0 + b.X1) / 2.0 / width, (b.Y0 + b.Y1) / 2.0 / height, (b.X1 - b.X0) / (double)width, (b.Y1 - b.Y0) / (double)height]);

    private static void AssertLabels(IEnumerable<(int Class, double[] Box)> expected, List<(int Class, double[] Box)> actual)
    {
        var want = expected.ToList();
        Assert.Equal(want.Count, actual.Count);
        for (var k = 0; k < want.Count; k++)
        {
            Assert.Equal(want[k].Class, actual[k].Class);
            for (var j = 0; j < 4; j++)
            {
                Assert.Equal(want[k].Box[j], actual[k].Box[j], 1e-5);
            }
        }
    }

    [Fact]
    public async Task ExportYolo_PixelBoxes_CopiesImagesWritesNormalisedLabelsAndNames()
    {
        var rows = PixelRows();
        using var table = await WriteAsync(_root, rows);
        var folder = Path.Combine(_root.Path, "yolo");

        var result = await table.ExportYoloAsync(folder);

        Assert.Equal(3, result.Rows);
        Assert.Equal(
            ["data.yaml", .. Images.Select(i => $"images/{i.File}"), .. Images.Select(i => $"labels/{Path.GetFileNameWithoutExtension(i.File)}.txt")],
            ExportTestTables.FilesUnder(folder));
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(await File.ReadAllBytesAsync(ImagePath(i)), await File.ReadAllBytesAsync(Path.Combine(folder, "images", Images[i].File)));
            var labels = ReadLabels(Path.Combine(folder, "labels", Path.GetFileNameWithoutExtension(Images[i].File) + ".txt"));
            AssertLabels(rows[i].Boxes!.Boxes.Select(b => Expected(b, Images[i].Width, Images[i].Height)), labels);
        }
        var yaml = ReadYaml(Path.Combine(folder, "data.yaml"));
        Assert.Equal("images", Scalar(yaml, "train"));
        Assert.Equal("3", Scalar(yaml, "nc"));
        var names = (YamlMappingNode)yaml["names"];
        Assert.Equal(["0:person", "1:car", "2:dog"], names.Children.Select(kv => $"{((YamlScalarNode)kv.Key).Value}:{((YamlScalarNode)kv.Value).Value}"));
        var values = (YamlMappingNode)yaml["label_values"];
        Assert.Equal(["0:1", "1:3", "2:7"], values.Children.Select(kv => $"{((YamlScalarNode)kv.Key).Value}:{((YamlScalarNode)kv.Value).Value}"));
    }

    [Fact]
    public async Task ExportYolo_NormalizedCenterBoxes_WrittenAsStored()
    {
        var boxes = new BoundingBoxes2D(500, 375, [new(0.5f, 0.25f, 0.2f, 0.1f, 7), new(0.125f, 0.875f, 0.25f, 0.25f, 3)]);
        using var table = await WriteAsync(_root, [new(ImagePath(1), boxes)], format: BoxFormat.Cxcywh, normalized: true);
        var folder = Path.Combine(_root.Path, "yolo");

        await table.ExportYoloAsync(folder);

        var labels = ReadLabels(Path.Combine(folder, "labels", "2011_000006.txt"));
        AssertLabels([(2, [0.5, 0.25, 0.2, 0.1]), (1, [0.125, 0.875, 0.25, 0.25])], labels);
    }

    [Fact]
    public async Task ExportYolo_LinkMode_LinksToOriginalFiles()
    {
        using var table = await WriteAsync(_root, PixelRows());
        var folder = Path.Combine(_root.Path, "yolo-links");

        await table.ExportYoloAsync(folder, new YoloExportOptions { Images = YoloImageMode.Link });

        for (var i = 0; i < Images.Length; i++)
        {
            var link = new FileInfo(Path.Combine(folder, "images", Images[i].File));
            Assert.Equal(Path.GetFullPath(ImagePath(i)), link.LinkTarget);
        }
    }

    [Fact]
    public async Task ExportYolo_SameImageTwice_SecondGetsRowSuffix()
    {
        var a = new BoundingBoxes2D(500, 338, [new(0, 0, 250, 169, 1)]);
        var b = new BoundingBoxes2D(500, 338, [new(250, 169, 500, 338, 3)]);
        using var table = await WriteAsync(_root, [new(ImagePath(0), a), new(ImagePath(0), b)]);
        var folder = Path.Combine(_root.Path, "yolo");

        await table.ExportYoloAsync(folder);

        Assert.Equal(["data.yaml", "images/2011_000003.jpg", "images/2011_000003_1.jpg", "labels/2011_000003.txt", "labels/2011_000003_1.txt"],
            ExportTestTables.FilesUnder(folder));
        AssertLabels([(0, [0.25, 0.25, 0.5, 0.5])], ReadLabels(Path.Combine(folder, "labels", "2011_000003.txt")));
        AssertLabels([(1, [0.75, 0.75, 0.5, 0.5])], ReadLabels(Path.Combine(folder, "labels", "2011_000003_1.txt")));
    }

    [Fact]
    public async Task ExportYolo_WeightThresholdOnRevision_LeavesOutLowWeightImages()
    {
        using var table = await WriteAsync(_root, PixelRows());
        using var revision = await table.Edit().SetWeights([1], 0f).CommitAsync();
        var folder = Path.Combine(_root.Path, "yolo");

        var result = await revision.ExportYoloAsync(folder, new YoloExportOptions { WeightThreshold = 0.5f });

        Assert.Equal((2L, 1L), (result.Rows, result.SkippedRows));
        Assert.Equal(["data.yaml", "images/2011_000003.jpg", "images/2011_000025.jpg", "labels/2011_000003.txt", "labels/2011_000025.txt"],
            ExportTestTables.FilesUnder(folder));
    }

    [Fact]
    public async Task ExportYolo_OverwriteFalseOverAnExport_FailsBeforeWriting()
    {
        using var table = await WriteAsync(_root, PixelRows());
        var folder = Path.Combine(_root.Path, "yolo");
        await table.ExportYoloAsync(folder);
        File.Delete(Path.Combine(folder, "labels", "2011_000003.txt"));

        await Assert.ThrowsAsync<Tlc.Tables.Urls.UrlAlreadyExistsException>(() => table.ExportYoloAsync(folder, new YoloExportOptions { Overwrite = false }));

        Assert.False(File.Exists(Path.Combine(folder, "labels", "2011_000003.txt")));
    }

    [Fact]
    public async Task ExportYolo_MissingImageFile_FailsAndLeavesNothing()
    {
        var rows = PixelRows();
        rows.Add(new DetectionRow(Path.Combine(_root.Path, "missing.jpg"), new BoundingBoxes2D(10, 10, [])));
        using var table = await WriteAsync(_root, rows);
        var folder = Path.Combine(_root.Path, "yolo");

        await Assert.ThrowsAsync<Tlc.Tables.Urls.UrlNotFoundException>(() => table.ExportYoloAsync(folder));

        Assert.Empty(ExportTestTables.FilesUnder(folder));
    }
}
