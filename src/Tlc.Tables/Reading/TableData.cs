using Apache.Arrow;
using Tlc.Schemas;

namespace Tlc.Tables.Reading;

/// <summary>Where a table's values come from: its own chunks, or a parent with a row map and sparse edits.</summary>
internal abstract class TableData : IDisposable
{
    public abstract long RowCount { get; }

    public abstract TableSchema Schema { get; }

    /// <summary>The value of column <paramref name="column"/> (index into <see cref="Schema"/>) at <paramref name="row"/>.</summary>
    public abstract object? GetValue(int column, long row);

    /// <summary>All columns of <paramref name="row"/>.</summary>
    public virtual object?[] GetRow(long row)
    {
        var values = new object?[Schema.Count];
        for (var c = 0; c < values.Length; c++)
        {
            values[c] = GetValue(c, row);
        }
        return values;
    }

    /// <summary>Every row as record batches of <paramref name="arrowSchema"/>, in order.</summary>
    public abstract IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken);

    public virtual void Dispose()
    {
    }

    protected void CheckRow(long row)
    {
        if ((ulong)row >= (ulong)RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(row), row, $"Row {row} is outside the table's rows 0..{RowCount - 1}.");
        }
    }
}
