using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Reading;

/// <summary>
/// A table's rows read in ascending order of one int64 column (<see cref="Storage.TableObject.RowOrderProperty"/>): a
/// metrics table written by several ranks at once, whose chunks hold each rank's rows in the order it wrote them. The
/// order is found on first access from that column alone (a scan of the chunks, then 16 bytes per row to sort and 8 to
/// keep); rows already in order keep nothing and read straight through.
/// </summary>
internal sealed class OrderedData : TableData
{
    private readonly TableData _rows;
    private readonly int _key;
    private readonly string _where;
    private readonly Lazy<long[]?> _order;

    public OrderedData(TableData rows, string column, string where)
    {
        _rows = rows;
        _where = where;
        _key = rows.Schema.IndexOf(column);
        if (_key < 0 || rows.Schema[column] is not ScalarSchema { Kind: ScalarKind.Int64 })
        {
            throw new FormatException($"{where}: rows are ordered by '{column}', which is not an int64 column of the table.");
        }
        _order = new Lazy<long[]?>(FindOrder, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public override long RowCount => _rows.RowCount;

    public override TableSchema Schema => _rows.Schema;

    public override object? GetValue(int column, long row)
    {
        CheckRow(row);
        return _rows.GetValue(column, _order.Value is { } order ? order[row] : row);
    }

    public override object?[] GetRow(long row)
    {
        CheckRow(row);
        return _rows.GetRow(_order.Value is { } order ? order[row] : row);
    }

    public override IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken)
    {
        if (_order.Value is not { } order)
        {
            foreach (var batch in _rows.ScanBatches(arrowSchema, batchRows, cancellationToken))
            {
                yield return batch;
            }
            yield break;
        }
        var builders = Schema.Select(kv => ColumnBuilder.Create(kv.Value, kv.Key)).ToArray();
        for (long start = 0; start < order.LongLength; start += batchRows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(order.LongLength, start + batchRows);
            for (var row = start; row < end; row++)
            {
                var values = _rows.GetRow(order[row]);
                for (var c = 0; c < builders.Length; c++)
                {
                    builders[c].Append(values[c], row);
                }
            }
            yield return new RecordBatch(arrowSchema, builders.Select(b => b.Build()), (int)(end - start));
        }
    }

    public override void Dispose() => _rows.Dispose();

    /// <summary>Where each row in key order is stored, or null when the rows are stored in key order already.</summary>
    private long[]? FindOrder()
    {
        var keys = new long[_rows.RowCount];
        long count = 0;
        var sorted = true;
        foreach (var batch in _rows.ScanBatches(ArrowSchemas.ToArrowSchema(_rows.Schema), 65_536, CancellationToken.None))
        {
            var column = (Int64Array)batch.Column(_key);
            for (var i = 0; i < column.Length; i++)
            {
                var key = column.GetValue(i) ?? throw new FormatException($"{_where}: row {count} has no {_rows.Schema.Names[_key]}.");
                sorted &= count == 0 || key > keys[count - 1];
                keys[count++] = key;
            }
        }
        if (sorted)
        {
            return null;
        }
        var order = new long[keys.LongLength];
        for (long i = 0; i < order.LongLength; i++)
        {
            order[i] = i;
        }
        System.Array.Sort(keys, order);
        return order;
    }
}
