using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>Inputs derived from the real fixtures for the vision importer tests, and shared assertions.</summary>
internal static class VisionTestData
{
    public static string LabelmeAnnotations => Path.Combine(Fixtures.LabelmeCoco, "annotations.json");

    /// <summary>The labelme COCO annotations as a mutable JSON tree.</summary>
    public static JsonObject LabelmeJson() => JsonNode.Parse(File.ReadAllText(LabelmeAnnotations))!.AsObject();

    /// <summary>Writes the (changed) labelme annotations, indented, into the root; images stay in the fixture folder.</summary>
    public static string WriteCoco(TempRoot root, Action<JsonObject> change, string name = "coco/annotations.json")
    {
        var json = LabelmeJson();
        change(json);
        var path = root.File(name);
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>A copy of a YOLO fixture layout (detect or segment) with real image files; returns its images folder.</summary>
    public static string CopyYolo(TempRoot root, string task)
    {
        var source = Path.Combine(Fixtures.Yolo, task);
        var target = root.File($"yolo/{task}");
        CopyFolder(source, target);
        return Path.Combine(target, "images");
    }

    /// <summary>Copies a folder recursively (links are followed: the copy holds the files' contents).</summary>
    public static void CopyFolder(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var to = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.WriteAllBytes(to, File.ReadAllBytes(file));
        }
    }

    /// <summary>Asserts that no table was published under the root (no object file anywhere) for the table p/d/t.</summary>
    public static void AssertNothingPublished(TempRoot root)
    {
        var table = TableLayout.Table(root.Url, "p", "d", "t");
        Assert.False(File.Exists(TableLayout.ObjectFile(table).LocalPath), $"{TableLayout.ObjectFile(table)} exists");
        var tables = Path.Combine(root.Path, "projects");
        if (Directory.Exists(tables))
        {
            Assert.Empty(Directory.EnumerateFiles(tables, TableObject.FileName, SearchOption.AllDirectories));
        }
    }

    /// <summary>True when <paramref name="actual"/> is within <paramref name="relative"/> of <paramref name="expected"/> (relative to max(1, |expected|)).</summary>
    public static bool Close(double expected, double actual, double relative) =>
        Math.Abs(expected - actual) <= relative * Math.Max(1.0, Math.Abs(expected));
}
