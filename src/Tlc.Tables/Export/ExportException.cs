namespace Tlc.Tables.Export;

/// <summary>A table cannot be exported in the requested form (e.g. a COCO export of a table without boxes); nothing was written.</summary>
public sealed class ExportException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExportException(Url table, string target, string problem, Exception? inner = null)
        : base($"Cannot export {table} to {target}: {problem}", inner)
    {
        Table = table;
        Target = target;
        Problem = problem;
    }

    /// <summary>The table being exported.</summary>
    public Url Table { get; }

    /// <summary>Where the export was to be written.</summary>
    public string Target { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
