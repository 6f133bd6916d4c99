namespace Tlc.Tables.Storage;

/// <summary>
/// 3LC's project layout: <c>&lt;root&gt;/projects/&lt;project&gt;/datasets/&lt;dataset&gt;/tables/&lt;table&gt;/</c>,
/// bulk data (images a writer saved) under <c>.../datasets/&lt;dataset&gt;/bulk_data/</c> and runs under
/// <c>&lt;root&gt;/projects/&lt;project&gt;/runs/&lt;run&gt;/</c>.
/// </summary>
public static class TableLayout
{
    /// <summary>The URL of a project folder.</summary>
    public static Url Project(Url root, string project) => root.Join($"projects/{Names.Validate(project, "project")}");

    /// <summary>The URL of a dataset folder.</summary>
    public static Url Dataset(Url root, string project, string dataset) =>
        Project(root, project).Join($"datasets/{Names.Validate(dataset, "dataset")}");

    /// <summary>The folder holding a dataset's tables.</summary>
    public static Url TablesFolder(Url root, string project, string dataset) => Dataset(root, project, dataset).Join("tables");

    /// <summary>The URL of a table folder.</summary>
    public static Url Table(Url root, string project, string dataset, string table) =>
        TablesFolder(root, project, dataset).Join(Names.Validate(table, "table"));

    /// <summary>The name of the folders bulk data goes to.</summary>
    public const string BulkDataFolderName = "bulk_data";

    /// <summary>The folder where a table's writer saves bulk data (images given as pixels).</summary>
    public static Url BulkData(Url root, string project, string dataset, string table) =>
        Dataset(root, project, dataset).Join($"{BulkDataFolderName}/{Names.Validate(table, "table")}");

    /// <summary>
    /// The bulk data folder of the table at <paramref name="table"/>: <c>&lt;dataset&gt;/bulk_data/&lt;table&gt;</c> when it
    /// follows the layout, else <c>bulk_data/</c> inside the table folder. Each write saves into a folder of its own under
    /// it (its write id).
    /// </summary>
    public static Url BulkData(Url table) => Parse(table) is not null
        ? table.Parent.Parent.Join($"{BulkDataFolderName}/{table.Name}")
        : table.Join(BulkDataFolderName);

    /// <summary>The URL of a table's object file.</summary>
    public static Url ObjectFile(Url table) => table.Join(TableObject.FileName);

    /// <summary>
    /// Splits a table URL laid out as above into root, project, dataset and table; null when the URL does not follow the layout.
    /// </summary>
    public static (Url Root, string Project, string Dataset, string Table)? Parse(Url table)
    {
        var parts = table.Value.Split('/');
        var n = parts.Length;
        if (n >= 7 && parts[n - 2] == "tables" && parts[n - 4] == "datasets" && parts[n - 6] == "projects")
        {
            var root = new Url(string.Join('/', parts.Take(n - 6)) + (table.IsFile && n - 6 <= 3 ? "/" : ""));
            return (root, parts[n - 5], parts[n - 3], parts[n - 1]);
        }
        return null;
    }

    /// <summary>
    /// The folder that relative URLs inside a table's object file may not leave: the root when the table follows the
    /// layout, else the folder holding the table.
    /// </summary>
    public static Url Containment(Url table) => Parse(table)?.Root ?? table.Parent;
}
