namespace Tlc.Tables;

/// <summary>A row value does not fit its column; the message names the row, the column (and field path) and what was expected.</summary>
public sealed class RowValidationException : FormatException
{
    /// <summary>Creates the error.</summary>
    public RowValidationException(long row, string column, string problem, string? source = null)
        : base($"{(source is null ? "" : source + ": ")}row {row}, column '{column}': {problem}")
    {
        Row = row;
        Column = column;
        Problem = problem;
        Origin = source;
    }

    /// <summary>The 0-based row number within the input.</summary>
    public long Row { get; }

    /// <summary>The column (with a field path for nested values, e.g. <c>bbs.bb_list[2].x0</c>).</summary>
    public string Column { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    /// <summary>The input (file and line) the row came from, when known.</summary>
    public string? Origin { get; }
}
