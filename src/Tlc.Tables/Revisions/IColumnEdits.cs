namespace Tlc.Tables.Revisions;

/// <summary>
/// The edited values of one column of a revision, in the parent's row space, however they are stored: runs
/// (<see cref="ColumnEdits"/>, inline or from a sidecar) or a dense chunk of one value per row (<see cref="DenseColumnEdits"/>).
/// </summary>
internal interface IColumnEdits
{
    /// <summary>The last parent row edited, or -1 when none is.</summary>
    long LastRow { get; }

    /// <summary>The edited value at parent row <paramref name="row"/>; false when the row is not edited.</summary>
    bool TryGet(long row, out object? value);

    /// <summary>
    /// A reader for one scan, which asks for rows in ascending order: it holds only what the scan needs and leaves the
    /// random-access state alone. Dispose it after the scan when it is <see cref="IDisposable"/>.
    /// </summary>
    IColumnEdits ForScan();
}
