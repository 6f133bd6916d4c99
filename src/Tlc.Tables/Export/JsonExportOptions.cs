namespace Tlc.Tables.Export;

/// <summary>The layouts of a JSON export.</summary>
public enum JsonExportFormat
{
    /// <summary>Newline-delimited JSON: one object per line. The default.</summary>
    Lines,
    /// <summary>One JSON array holding an object per row.</summary>
    Array,
}

/// <summary>Options of <see cref="Table.ExportJsonAsync"/>.</summary>
public sealed class JsonExportOptions : ExportOptions
{
    /// <summary>NDJSON or one array. Default: <see cref="JsonExportFormat.Lines"/>.</summary>
    public JsonExportFormat Format { get; init; } = JsonExportFormat.Lines;

    /// <summary>Indent an <see cref="JsonExportFormat.Array"/> export (lines are always compact). Default: false.</summary>
    public bool Indented { get; init; }
}
