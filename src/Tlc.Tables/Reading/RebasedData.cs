using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Reading;

/// <summary>
/// A parent's rows as a derived table in another folder reads them: relative URL values (image and mask columns, stored
/// relative to the parent's folder) rebased to the derived table's folder, so that they resolve to the same files.
/// </summary>
internal sealed class RebasedData : TableData
{
    private readonly TableData _inner;
    private readonly Url _from;
    private readonly Url _to;
    private readonly bool[] _holdsUrls;

    private RebasedData(TableData inner, Url from, Url to, bool[] holdsUrls)
    {
        _inner = inner;
        _from = from;
        _to = to;
        _holdsUrls = holdsUrls;
    }

    /// <summary><paramref name="inner"/> read by a table at <paramref name="to"/>; itself when nothing needs rebasing.</summary>
    public static TableData Create(TableData inner, Url from, Url to)
    {
        var holdsUrls = inner.Schema.Select(kv => StoredUrls.HoldsUrls(kv.Value)).ToArray();
        return from.Parent == to.Parent || !holdsUrls.Any(h => h) ? inner : new RebasedData(inner, from, to, holdsUrls);
    }

    public override long RowCount => _inner.RowCount;

    public override TableSchema Schema => _inner.Schema;

    public override object? GetValue(int column, long row)
    {
        var value = _inner.GetValue(column, row);
        return _holdsUrls[column] && value is string stored ? Rebase(stored) : value;
    }

    private string Rebase(string stored) => StoredUrls.Rebase(stored, _from, _to);

    public override IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken)
    {
        foreach (var batch in _inner.ScanBatches(arrowSchema, batchRows, cancellationToken))
        {
            var arrays = new IArrowArray[batch.ColumnCount];
            for (var c = 0; c < arrays.Length; c++)
            {
                arrays[c] = _holdsUrls[c] && batch.Column(c) is StringArray strings ? StringArrays.Map(strings, Rebase) : batch.Column(c);
            }
            yield return new RecordBatch(batch.Schema, arrays, batch.Length);
        }
    }

    public override void Dispose() => _inner.Dispose();
}
