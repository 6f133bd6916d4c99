namespace Tlc.Tables.Import;

/// <summary>
/// Input an importer cannot turn into a table. The message names the file and, where known, the line or row; nothing
/// is published when it is thrown.
/// </summary>
public sealed class ImportException : FormatException
{
    /// <summary>Creates the error for <paramref name="file"/> at <paramref name="location"/> (e.g. "line 17").</summary>
    public ImportException(string file, string? location, string problem, Exception? inner = null)
        : base($"{file}{(location is null ? "" : ":" + location)}: {problem}", inner)
    {
        File = file;
        Location = location;
        Problem = problem;
    }

    /// <summary>The input file or URL.</summary>
    public string File { get; }

    /// <summary>Where in the file (e.g. "line 17", "row 3", "annotations[4]"), when known.</summary>
    public string? Location { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }
}
