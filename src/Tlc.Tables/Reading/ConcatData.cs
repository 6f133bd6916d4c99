using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Reading;

/// <summary>The rows of several tables one after another (a vertical join); columns are matched by name.</summary>
internal sealed class ConcatData : TableData
{
    private readonly TableData[] _parts;
    private readonly long[] _starts;
    private readonly int[][] _columnMaps;
    private readonly TableSchema _schema;

    public ConcatData(IReadOnlyList<TableData> parts, TableSchema schema)
    {
        _parts = [.. parts];
        _schema = schema;
        _starts = new long[_parts.Length + 1];
        _columnMaps = new int[_parts.Length][];
        for (var i = 0; i < _parts.Length; i++)
        {
            _starts[i + 1] = _starts[i] + _parts[i].RowCount;
            var part = _parts[i].Schema;
            _columnMaps[i] = schema.Names.Select(n => part.IndexOf(n) is >= 0 and var c ? c
                : throw new FormatException($"Joined table {i} has no column '{n}'.")).ToArray();
        }
    }

    public override long RowCount => _starts[^1];

    public override TableSchema Schema => _schema;

    public override object? GetValue(int column, long row)
    {
        CheckRow(row);
        var part = Part(row);
        return _parts[part].GetValue(_columnMaps[part][column], row - _starts[part]);
    }

    private int Part(long row)
    {
        var i = System.Array.BinarySearch(_starts, row);
        if (i < 0)
        {
            i = ~i - 1;
        }
        while (i + 1 < _parts.Length && _starts[i + 1] == row)
        {
            i++;
        }
        return i;
    }

    public override IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken)
    {
        for (var p = 0; p < _parts.Length; p++)
        {
            var map = _columnMaps[p];
            var partSchema = ArrowSchemas.ToArrowSchema(_parts[p].Schema);
            foreach (var batch in _parts[p].ScanBatches(partSchema, batchRows, cancellationToken))
            {
                yield return new RecordBatch(arrowSchema, map.Select(c => batch.Column(c)), batch.Length);
            }
        }
    }

    public override void Dispose()
    {
        foreach (var part in _parts)
        {
            part.Dispose();
        }
    }
}
