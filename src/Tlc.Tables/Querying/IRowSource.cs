using Tlc.Schemas;

namespace Tlc.Tables.Querying;

/// <summary>
/// Rows a <see cref="RowQueries"/> query runs over: a table, or a view that puts two together (a metrics table joined to
/// its input rows).
/// </summary>
public interface IRowSource
{
    /// <summary>Where the rows come from (named in errors).</summary>
    Url Url { get; }

    /// <summary>The columns.</summary>
    TableSchema Schema { get; }

    /// <summary>How many rows.</summary>
    long RowCount { get; }

    /// <summary>The stored value of <paramref name="column"/> at <paramref name="row"/>.</summary>
    object? GetValue(string column, long row);

    /// <summary>
    /// Every stored value of <paramref name="column"/>, in row order: what queries scan. A source may keep it between calls
    /// (a table keeps the columns it was last asked for), so the caller must not change it.
    /// </summary>
    object?[] ReadColumn(string column);
}
