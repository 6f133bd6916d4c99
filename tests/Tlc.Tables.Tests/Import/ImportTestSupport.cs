using Tlc.Tables.Import;
using Tlc.Tables.Storage;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Import;

/// <summary>Shared helpers of the importer tests.</summary>
internal static class ImportTestSupport
{
    /// <summary>The folder of table <paramref name="table"/> in project "p", dataset "d" under <paramref name="root"/>.</summary>
    public static string TableFolder(TempRoot root, string table) =>
        TableLayout.Table(root.Url, "p", "d", table).LocalPath;

    /// <summary>Asserts nothing of table <paramref name="table"/> was published or left behind: no object file, no chunk.</summary>
    public static void AssertNothingPublished(TempRoot root, string table)
    {
        var folder = TableFolder(root, table);
        Assert.False(File.Exists(Path.Combine(folder, TableObject.FileName)), $"{table}: an object file was published");
        Assert.Empty(Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*.arrow", SearchOption.AllDirectories) : []);
    }

    /// <summary>Asserts the error names the input file and every one of <paramref name="parts"/> (line, column, problem).</summary>
    public static void AssertNames(ImportException error, string file, params string[] parts)
    {
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        foreach (var part in parts)
        {
            Assert.Contains(part, error.Message, StringComparison.Ordinal);
        }
    }
}
