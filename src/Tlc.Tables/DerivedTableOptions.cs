namespace Tlc.Tables;

/// <summary>Naming and placement of a table derived from another (filter, subset, join, squash).</summary>
public sealed class DerivedTableOptions
{
    /// <summary>The new table's name; it is placed beside its (first) source table, in the same dataset. Required.</summary>
    public required string Name { get; init; }

    /// <summary>What to do when a table of that name exists. Default: <see cref="IfExists.Rename"/>.</summary>
    public IfExists IfExists { get; init; } = IfExists.Rename;

    /// <summary>A description. Default: none.</summary>
    public string? Description { get; init; }

    /// <summary>The clock for creation times. Default: <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; init; }
}
