using System.Globalization;
using Tlc.DataTypes;
using Tlc.Tables.Export;
using Tlc.Tables.Import;
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

    /// <summary>A table of oriented boxes over the fixture JPEGs (pixels; the value map of <see cref="Categories"/>).</summary>
    private async Task<Table> WriteOrientedAsync(IReadOnlyList<OrientedBoundingBoxes2D?> rows)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new Schemas.TableSchema
            {
                ["image"] = new Schemas.ImageSchema(Schemas.ImageSampleType.Jpeg),
                ["obbs"] = OrientedBoundingBoxes2D.Schema(Categories).AsNullable(),
            },
            Project = "p", Dataset = "d", Table = "oriented", Root = _root.Url, Settings = _root.Settings,
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < rows.Count; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["image"] = ImagePath(i), ["obbs"] = rows[i] });
        }
        return await writer.FinalizeAsync(TestContext.Current.CancellationToken);
    }

    private static List<OrientedBoundingBoxes2D?> OrientedRows() =>
    [
        new(500, 338, [new(250, 169, 100, 40, 0.5f, 7), new(60.5f, 80.25f, 30, 12, -1.25f, 1)]),
        new(500, 375, []),
        new(500, 375, [new(400, 300, 50, 50, 3f, 3), new(100, 100, 80, 20, 0, 1)]),
    ];

    [Fact]
    public async Task ExportYolo_OrientedBoxes_OneNormalisedCornerLinePerBox()
    {
        var rows = OrientedRows();
        using var table = await WriteOrientedAsync(rows);
        var folder = Path.Combine(_root.Path, "yolo-obb");

        var result = await table.ExportYoloAsync(folder, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Rows);
        for (var i = 0; i < rows.Count; i++)
        {
            var labels = ReadLabels(Path.Combine(folder, "labels", Path.GetFileNameWithoutExtension(Images[i].File) + ".txt"));
            Assert.Equal(rows[i]!.Boxes.Count, labels.Count);
            for (var k = 0; k < labels.Count; k++)
            {
                var b = rows[i]!.Boxes[k];
                Assert.Equal(Categories.Keys.ToList().IndexOf(b.Label), labels[k].Class);
                // The corners worked out here: the unrotated box's top-left, top-right, bottom-right, bottom-left, turned
                // counter-clockwise as seen (y points down) about the centre.
                double[] dx = [-b.Width / 2, b.Width / 2, b.Width / 2, -b.Width / 2];
                double[] dy = [-b.Height / 2, -b.Height / 2, b.Height / 2, b.Height / 2];
                Assert.Equal(8, labels[k].Box.Length);
                for (var c = 0; c < 4; c++)
                {
                    var x = b.CenterX + (dx[c] * Math.Cos(b.Rotation)) + (dy[c] * Math.Sin(b.Rotation));
                    var y = b.CenterY - (dx[c] * Math.Sin(b.Rotation)) + (dy[c] * Math.Cos(b.Rotation));
                    Assert.Equal(x / Images[i].Width, labels[k].Box[2 * c], 1e-5);
                    Assert.Equal(y / Images[i].Height, labels[k].Box[(2 * c) + 1], 1e-5);
                }
            }
        }
        var names = (YamlMappingNode)ReadYaml(Path.Combine(folder, "data.yaml"))["names"];
        Assert.Equal(["0:person", "1:car", "2:dog"], names.Children.Select(kv => $"{((YamlScalarNode)kv.Key).Value}:{((YamlScalarNode)kv.Value).Value}"));
    }

    [Fact]
    public async Task ExportYoloThenFromYoloObb_OrientedBoxes_KeepCentreSizeRotationAndClass()
    {
        var rows = OrientedRows();
        using var table = await WriteOrientedAsync(rows);
        var folder = Path.Combine(_root.Path, "yolo-obb");
        await table.ExportYoloAsync(folder, new YoloExportOptions { Task = YoloTask.Obb }, TestContext.Current.CancellationToken);

        using var imported = await Table.FromYoloUrlAsync(Path.Combine(folder, "images"), ["person", "car", "dog"], new YoloImportOptions
        {
            Task = YoloTask.Obb, Project = "p", Dataset = "d", Table = "reimported", Root = _root.Url, Settings = _root.Settings,
        }, TestContext.Current.CancellationToken);

        Assert.Equal(3, imported.RowCount);
        for (var i = 0; i < rows.Count; i++)
        {
            var back = Assert.IsType<OrientedBoundingBoxes2D>(imported[i]["obbs"]);
            Assert.Equal((rows[i]!.ImageWidth, rows[i]!.ImageHeight), (back.ImageWidth, back.ImageHeight));
            Assert.Equal(rows[i]!.Boxes.Count, back.Boxes.Count);
            for (var k = 0; k < back.Boxes.Count; k++)
            {
                var (want, got) = (rows[i]!.Boxes[k], back.Boxes[k]);
                Assert.Equal(Categories.Keys.ToList().IndexOf(want.Label), got.Label);
                Assert.Equal(want.CenterX, got.CenterX, 2e-3);
                Assert.Equal(want.CenterY, got.CenterY, 2e-3);
                Assert.Equal(want.Width, got.Width, 2e-3);
                Assert.Equal(want.Height, got.Height, 2e-3);
                // The same direction (angles are read back in (-π, π]).
                Assert.Equal(0, Math.IEEERemainder(want.Rotation - got.Rotation, 2 * Math.PI), 1e-4);
            }
        }
    }

    [Fact]
    public async Task ExportYolo_SegmentTask_RefusedNamingTheTasks()
    {
        using var table = await WriteOrientedAsync(OrientedRows());

        var e = await Assert.ThrowsAsync<ExportException>(() =>
            table.ExportYoloAsync(Path.Combine(_root.Path, "yolo-seg"), new YoloExportOptions { Task = YoloTask.Segment }, TestContext.Current.CancellationToken));

        Assert.Contains("detect or obb", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExportYolo_DetectTaskOnOrientedBoxesOnly_SaysWhichColumnIsMissing()
    {
        using var table = await WriteOrientedAsync(OrientedRows());

        var e = await Assert.ThrowsAsync<ExportException>(() =>
            table.ExportYoloAsync(Path.Combine(_root.Path, "yolo-detect"), new YoloExportOptions { Task = YoloTask.Detect }, TestContext.Current.CancellationToken));

        Assert.Contains("bounding_boxes_2d column", e.Message, StringComparison.Ordinal);
    }
}
