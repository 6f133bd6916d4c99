using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Export;
using Tlc.Tables.Import;
using Tlc.Tables.Import.Jobs;
using Tlc.Testing;
using static Tlc.Tables.Tests.Import.ImportJobsTestSupport;

namespace Tlc.Tables.Tests.Import;

/// <summary>
/// COCO person keypoints (the fixture of tests/fixtures/make_coco_keypoints.py): imported into a <c>keypoints</c> column
/// whose values are checked against the annotation JSON read here on its own; bad keypoints fail naming the file, the
/// annotation and the field; exported back to COCO keypoints and imported again.
/// </summary>
public sealed class CocoKeypointsImportTests : IDisposable
{
    private readonly TempRoot _root = new("coco-keypoints");

    public void Dispose() => _root.Dispose();

    private static string Annotations => Path.Combine(Fixtures.CocoKeypoints, "annotations.json");

    private CocoImportOptions Options(string table, bool? keypoints = null) => new()
    {
        Root = _root.Url, Settings = _root.Settings, Project = "p", Dataset = "d", Table = table, Keypoints = keypoints,
    };

    /// <summary>One expected keypoint instance: label, x, y pairs and visibility, as the JSON says (zeros where it has none).</summary>
    private sealed record Expected(int Label, float[] Points, sbyte[] Visibility);

    /// <summary>The JSON's non-crowd annotations per image, in file order, read with System.Text.Json alone.</summary>
    private static List<(int Width, int Height, List<Expected> Instances)> ExpectedRows(JsonElement root)
    {
        var rows = root.GetProperty("images").EnumerateArray()
            .Select(i => (Id: i.GetProperty("id").GetInt64(), Width: i.GetProperty("width").GetInt32(), Height: i.GetProperty("height").GetInt32(), Instances: new List<Expected>()))
            .ToList();
        foreach (var a in root.GetProperty("annotations").EnumerateArray())
        {
            if (a.GetProperty("iscrowd").GetInt32() == 1)
            {
                continue;
            }
            var values = a.TryGetProperty("keypoints", out var k) ? k.EnumerateArray().Select(v => v.GetDouble()).ToArray() : new double[51];
            var points = new float[34];
            var visibility = new sbyte[17];
            for (var p = 0; p < 17; p++)
            {
                points[2 * p] = (float)values[3 * p];
                points[(2 * p) + 1] = (float)values[(3 * p) + 1];
                visibility[p] = (sbyte)values[(3 * p) + 2];
            }
            rows.Single(r => r.Id == a.GetProperty("image_id").GetInt64()).Instances.Add(new Expected(a.GetProperty("category_id").GetInt32(), points, visibility));
        }
        return rows.Select(r => (r.Width, r.Height, r.Instances)).ToList();
    }

    private static void AssertKeypoints(IReadOnlyList<(int Width, int Height, List<Expected> Instances)> expected, Table table)
    {
        Assert.Equal(expected.Count, table.RowCount);
        for (var i = 0; i < expected.Count; i++)
        {
            var keypoints = Assert.IsType<Keypoints2D>(table[i]["keypoints"]);
            var boxes = Assert.IsType<BoundingBoxes2D>(table[i]["bbs"]);
            Assert.Equal((expected[i].Width, expected[i].Height), ((int)keypoints.ImageWidth, (int)keypoints.ImageHeight));
            Assert.Equal(expected[i].Instances.Count, keypoints.Instances.Count);
            Assert.Equal(boxes.Boxes.Count, keypoints.Instances.Count);
            for (var k = 0; k < keypoints.Instances.Count; k++)
            {
                var (want, got) = (expected[i].Instances[k], keypoints.Instances[k]);
                Assert.Equal(want.Label, got.Label);
                Assert.Equal(want.Label, boxes.Boxes[k].Label);
                Assert.Equal(want.Points, got.Points);
                Assert.Equal(want.Visibility, got.Visibility!);
            }
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task FromCoco_PersonKeypoints_ValuesAndSchemaMatchTheJson()
    {
        var ct = TestContext.Current.CancellationToken;
        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(Annotations, ct));

        using var table = await Table.FromCocoAsync(Annotations, null, Options("kp"), ct);

        Assert.Equal(["image", "width", "height", "bbs", "keypoints", "weight"], table.Schema.Names);
        var schema = Assert.IsType<AnnotationSchema>(table.Schema["keypoints"]);
        Assert.Equal(Keypoints2D.TypeName, schema.Type);
        var person = json.RootElement.GetProperty("categories")[0];
        Assert.Equal(17, Keypoints2D.NumKeypoints(schema));
        Assert.Equal(person.GetProperty("keypoints").EnumerateArray().Select(n => n.GetString()!), Keypoints2D.PointNames(schema)!);
        Assert.Equal(person.GetProperty("skeleton").EnumerateArray().Select(e => (e[0].GetInt32() - 1, e[1].GetInt32() - 1)), Keypoints2D.Skeleton(schema)!);
        Assert.Equal("bicycle", schema.Classes![2].InternalName);
        AssertKeypoints(ExpectedRows(json.RootElement), table);
        // The raw row holds the same struct the sample decodes.
        Assert.Equal(((Keypoints2D)table[0]["keypoints"]!).Instances[0].Points, Keypoints2D.FromRowValue(table.Rows[0]["keypoints"]).Instances[0].Points);
    }

    [Fact(Timeout = 60_000)]
    public async Task FromCoco_KeypointsOff_NoKeypointsColumn_OnWithoutDeclaration_Fails()
    {
        var ct = TestContext.Current.CancellationToken;

        using var off = await Table.FromCocoAsync(Annotations, null, Options("off", keypoints: false), ct);
        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(Path.Combine(Fixtures.LabelmeCoco, "annotations.json"), null, Options("on", keypoints: true), ct));
        using var labelme = await Table.FromCocoAsync(Path.Combine(Fixtures.LabelmeCoco, "annotations.json"), null, Options("auto"), ct);

        Assert.DoesNotContain("keypoints", off.Schema.Names);
        Assert.Contains("annotations.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("no category declares keypoints", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("keypoints", labelme.Schema.Names);
    }

    public static TheoryData<string, string, string> BadKeypoints => new()
    {
        // What to change (annotation 0 is person id 1 of image 100), the location and the problem the error names.
        { "short", "annotations[0]: annotation id 1", "keypoints has 50 numbers; the category declares 17 keypoints, so it needs 51 (x, y, v per point)" },
        { "visibility3", "annotations[0]: annotation id 1", "keypoints[5] (visibility of point 2 'left_eye') must be 0 (not labelled), 1 (labelled, not visible) or 2 (visible), got 3" },
        { "visibilityFraction", "annotations[0]: annotation id 1", "keypoints[2] (visibility of point 1 'nose') must be 0 (not labelled), 1 (labelled, not visible) or 2 (visible), got 1.5" },
        { "text", "annotations[0]: annotation id 1", "keypoints[3] (x of point 2 'left_eye') is not a number: \"x\"" },
        { "count", "annotations[0]: annotation id 1", "num_keypoints is 99 but" },
        { "bicycle", "annotations[1]: annotation id 2", "has keypoints, but its category_id 2 declares none" },
        { "category", "annotations[0]: annotation id 1", "unknown category_id 9 (no such id in categories)" },
        { "notList", "annotations[0]: annotation id 1", "keypoints must be a list [x1, y1, v1, x2, y2, v2, ...], got a string" },
        { "skeleton", "categories[0]", "skeleton[1] [14, 18] names a point outside 1..17 (COCO numbers the 17 keypoints from 1)" },
        { "names", "categories[0]", "keypoints[3] must be a non-empty point name without commas, got 4" },
    };

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(BadKeypoints))]
    public async Task FromCoco_BadKeypoints_NamesFileAnnotationAndField(string change, string location, string problem)
    {
        var json = JsonNode.Parse(await File.ReadAllTextAsync(Annotations, TestContext.Current.CancellationToken))!;
        var first = json["annotations"]![0]!;
        var keypoints = first["keypoints"]!.AsArray();
        switch (change)
        {
            case "short": keypoints.RemoveAt(50); break;
            case "visibility3": keypoints[5] = 3; break;
            case "visibilityFraction": keypoints[2] = 1.5; break;
            case "text": keypoints[3] = "x"; break;
            case "count": first["num_keypoints"] = 99; break;
            case "bicycle": json["annotations"]![1]!["keypoints"] = keypoints.DeepClone(); break;
            case "category": first["category_id"] = 9; break;
            case "notList": first["keypoints"] = "17 points"; break;
            case "skeleton": json["categories"]![0]!["skeleton"]![1]![1] = 18; break;
            case "names": json["categories"]![0]!["keypoints"]![3] = 4; break;
        }
        // Annotation 1 must be the bicycle for the "bicycle" case.
        Assert.Equal(2, (int)json["annotations"]![1]!["category_id"]!);
        var file = _root.File("bad/annotations.json");
        await File.WriteAllTextAsync(file, json.ToJsonString(), TestContext.Current.CancellationToken);

        var e = await Assert.ThrowsAsync<ImportException>(() =>
            Table.FromCocoAsync(file, Fixtures.CocoKeypoints, Options("bad"), TestContext.Current.CancellationToken));

        Assert.Contains($"{file}:{location}", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task ExportCoco_ImportedKeypoints_WritesCocoKeypointsThatImportAgainUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        using var source = JsonDocument.Parse(await File.ReadAllBytesAsync(Annotations, ct));
        using var table = await Table.FromCocoAsync(Annotations, null, Options("kp"), ct);
        var exported = _root.File("export/annotations.json");

        await table.ExportCocoAsync(exported, new CocoExportOptions { AbsoluteImagePaths = true }, ct);

        using var json = JsonDocument.Parse(await File.ReadAllBytesAsync(exported, ct));
        var categories = json.RootElement.GetProperty("categories").EnumerateArray().ToList();
        var person = source.RootElement.GetProperty("categories")[0];
        Assert.All(categories, c =>
        {
            Assert.Equal(person.GetProperty("keypoints").EnumerateArray().Select(n => n.GetString()), c.GetProperty("keypoints").EnumerateArray().Select(n => n.GetString()));
            Assert.Equal(person.GetProperty("skeleton").GetRawText().Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal),
                c.GetProperty("skeleton").GetRawText());
        });
        // Annotations in the same order as the source's kept ones (crowd left out): the same [x, y, v] and num_keypoints;
        // the bicycle, which had none, gets 17 unlabelled points.
        var kept = source.RootElement.GetProperty("annotations").EnumerateArray().Where(a => a.GetProperty("iscrowd").GetInt32() == 0).ToList();
        var written = json.RootElement.GetProperty("annotations").EnumerateArray().ToList();
        Assert.Equal(kept.Count, written.Count);
        for (var k = 0; k < kept.Count; k++)
        {
            var want = kept[k].TryGetProperty("keypoints", out var points) ? points.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray() : new float[51];
            Assert.Equal(want, written[k].GetProperty("keypoints").EnumerateArray().Select(v => v.GetSingle()));
            Assert.Equal(kept[k].TryGetProperty("num_keypoints", out var n) ? n.GetInt32() : 0, written[k].GetProperty("num_keypoints").GetInt32());
            Assert.Equal(kept[k].GetProperty("category_id").GetInt32(), written[k].GetProperty("category_id").GetInt32());
        }

        using var again = await Table.FromCocoAsync(exported, null, Options("again"), ct);
        AssertKeypoints(ExpectedRows(source.RootElement), again);
        Assert.True(table.Schema["keypoints"].IsEquivalentTo(again.Schema["keypoints"]));
    }

    [Fact(Timeout = 60_000)]
    public async Task ExportCoco_KeypointInstancesNotOnePerBox_FailsNamingTheRow()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await Table.FromCocoAsync(Annotations, null, Options("kp"), ct);
        using var edited = await table.Edit().SetValue("keypoints", 1, new Keypoints2D(500, 375, [])).CommitAsync(ct);

        var e = await Assert.ThrowsAsync<ExportException>(() => edited.ExportCocoAsync(_root.File("export/bad.json"), cancellationToken: ct));

        Assert.Contains("row 1: 'bbs' has 2 box(es) but 'keypoints' has 0 instance(s)", e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task PlanConvertPublish_PersonKeypoints_SameTableAsOneProcessImport()
    {
        var ct = TestContext.Current.CancellationToken;
        using var expected = await Table.FromCocoAsync(Annotations, null, Options("single"), ct);

        var (plan, _) = await ImportJobs.PlanCocoAsync(Annotations, null, Options("chunked"), "job-kp", new ImportJobOptions { ImagesPerChunk = 1 }, ct);
        using var actual = await ConvertAndPublishAsync(plan!, _root);

        AssertSameTable(expected, actual);
        Assert.True(expected.Schema["keypoints"].IsEquivalentTo(actual.Schema["keypoints"]));
    }
}
