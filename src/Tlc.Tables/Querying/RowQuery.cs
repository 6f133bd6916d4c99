namespace Tlc.Tables.Querying;

/// <summary>
/// Which rows of a table to show and in what order, evaluated server-side (the dashboard's grid, a script paging through
/// a table): rows matching every filter, sorted by one column, one page of them.
/// </summary>
public sealed record RowQuery
{
    /// <summary>Conditions every returned row meets (the same predicates as <c>tlc table filter</c>). Default: none.</summary>
    public IReadOnlyList<ColumnPredicate> Filters { get; init; } = [];

    /// <summary>The column to sort by; null keeps the table's order. Nulls sort first ascending, last descending. Default: null.</summary>
    public string? SortBy { get; init; }

    /// <summary>Sort descending. Default: false.</summary>
    public bool Descending { get; init; }

    /// <summary>The first matching row of the page (0-based, in sorted order). Default: 0.</summary>
    public long Offset { get; init; }

    /// <summary>The most rows on the page. Default: 100.</summary>
    public int Limit { get; init; } = 100;
}

/// <summary>One page of a <see cref="RowQuery"/>.</summary>
/// <param name="Matched">How many rows match the filters.</param>
/// <param name="Offset">The page's first position among them.</param>
/// <param name="Rows">The table rows on the page, in order.</param>
public sealed record RowPage(long Matched, long Offset, IReadOnlyList<long> Rows);

/// <summary>A histogram of a numeric column over the rows matching some filters.</summary>
/// <param name="Min">The smallest value (the first bin's lower edge).</param>
/// <param name="Max">The largest value (the last bin's upper edge, included).</param>
/// <param name="Counts">Rows per bin, <see cref="Counts"/>.Length equal-width bins.</param>
/// <param name="Nulls">Matching rows without a value (or a NaN).</param>
public sealed record Histogram(double Min, double Max, long[] Counts, long Nulls);

/// <summary>How often a value occurs in a column (a categorical label's class, a string, a number).</summary>
/// <param name="Value">The value (null for rows without one).</param>
/// <param name="Count">The rows holding it.</param>
public sealed record ValueCount(object? Value, long Count);

/// <summary>How often a pair of values occurs in two columns (a cell of a confusion matrix).</summary>
/// <param name="First">The first column's value.</param>
/// <param name="Second">The second column's value.</param>
/// <param name="Count">The rows holding both.</param>
public sealed record PairCount(object? First, object? Second, long Count);
