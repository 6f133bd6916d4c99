using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Export;

/// <summary>Tables the export tests write and the values they hold, so read-backs can be compared with what was written.</summary>
internal static class ExportTestTables
{
    public static readonly string[] BoxClasses = ["cat", "dog"];

    public static TableSchema MixedSchema() => new()
    {
        ["id"] = new Int64Schema(),
        ["score"] = new Float32Schema(),
        ["ratio"] = new Float64Schema(),
        ["name"] = new StringSchema { Nullable = true },
        ["flag"] = new BoolSchema(),
        ["label"] = new CategoricalLabelSchema(["cat", "dog", "bird"]),
        ["emb"] = new EmbeddingSchema(3),
        ["bbs"] = BoundingBoxes2D.Schema(BoxClasses, BoxFormat.Xywh),
    };

    public static float Score(int i) => i switch
    {
        0 => 0.1f,
        1 => float.MaxValue,
        2 => 1e-7f,
        3 => -2.5f,
        _ => i / 7f,
    };

    public static string? Name(int i) => (i % 4) switch
    {
        0 => null,
        1 => "has, comma",
        2 => "quote \" and\nnewline",
        _ => $"n{i} é",
    };

    public static float[] Embedding(int i) => [i, i + 0.5f, -i / 3f];

    public static BoundingBoxes2D Boxes(int i) => new(640, 480,
        Enumerable.Range(0, i % 3).Select(k => new BoundingBox2D((k * 10) + 0.25f, 5, 20, 30.5f, k % 2)).ToList());

    public static Dictionary<string, object?> MixedRow(int i) => new()
    {
        ["id"] = (long)i,
        ["score"] = Score(i),
        ["ratio"] = Math.PI * i,
        ["name"] = Name(i),
        ["flag"] = i % 2 == 0,
        ["label"] = i % 3,
        ["emb"] = Embedding(i),
        ["bbs"] = Boxes(i),
    };

    public static async Task<Table> WriteMixedAsync(TempRoot root, int rows, string name = "mixed", int? batchRows = null)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = MixedSchema(),
            Project = "p",
            Dataset = "d",
            Table = name,
            Root = root.Url,
            Settings = root.Settings,
            BatchRows = batchRows,
        });
        for (var i = 0; i < rows; i++)
        {
            writer.AddRow(MixedRow(i));
        }
        return await writer.FinalizeAsync();
    }

    /// <summary>Sets weight 0 on <paramref name="rows"/> and returns the new revision.</summary>
    public static Task<Table> ZeroWeightsAsync(Table table, params long[] rows) => table.Edit().SetWeights(rows, 0f).CommitAsync();

    /// <summary>The files under a folder (recursively), relative paths sorted; empty when it does not exist.</summary>
    public static string[] FilesUnder(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToArray()
        : [];
}
