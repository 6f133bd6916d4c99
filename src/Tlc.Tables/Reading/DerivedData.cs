using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Revisions;

namespace Tlc.Tables.Reading;

/// <summary>
/// A parent's values seen through a row map (kept parent rows) and sparse edits (in the parent's row space), with
/// columns added, replaced or removed by schema overrides. Nothing is copied: reads look edits up, then the parent.
/// </summary>
internal sealed class DerivedData : TableData
{
    private readonly TableData _parent;
    private readonly TableSchema _schema;
    private readonly RowRuns? _map;
    private readonly IColumnEdits?[] _edits;
    private readonly int[] _parentColumns;
    private readonly long _rows;

    public DerivedData(TableData parent, TableSchema schema, RowRuns? map, IReadOnlyDictionary<string, IColumnEdits> edits, ISet<string> replaced)
    {
        _parent = parent;
        _schema = schema;
        _map = map;
        _rows = map?.Count ?? parent.RowCount;
        _edits = schema.Names.Select(n => edits.GetValueOrDefault(n)).ToArray();
        _parentColumns = schema.Names.Select(n =>
        {
            var c = parent.Schema.IndexOf(n);
            if (c < 0)
            {
                return -1;
            }
            // A replaced column keeps the parent's values only when they are stored the same way.
            if (replaced.Contains(n) && !ArrowSchemas.TypesEqual(ArrowSchemas.ToArrowType(parent.Schema[n]), ArrowSchemas.ToArrowType(schema[n])))
            {
                return -1;
            }
            return c;
        }).ToArray();
    }

    public override long RowCount => _rows;

    public override TableSchema Schema => _schema;

    /// <summary>The parent row shown at <paramref name="row"/>.</summary>
    public long ParentRow(long row)
    {
        CheckRow(row);
        return _map is null ? row : _map[row];
    }

    /// <summary>The row showing <paramref name="parentRow"/>, or -1 when the parent row was left out.</summary>
    public long RowOfParent(long parentRow) => _map is null
        ? (parentRow >= 0 && parentRow < _rows ? parentRow : -1)
        : _map.PositionOf(parentRow);

    public override object? GetValue(int column, long row) => ValueAt(column, ParentRow(row), _edits[column]);

    public override IEnumerable<RecordBatch> ScanBatches(Apache.Arrow.Schema arrowSchema, int batchRows, CancellationToken cancellationToken)
    {
        var passThrough = _map is null && _edits.All(e => e is null) && _parentColumns.All(c => c >= 0);
        if (passThrough)
        {
            foreach (var batch in _parent.ScanBatches(ArrowSchemas.ToArrowSchema(_parent.Schema), batchRows, cancellationToken))
            {
                yield return new RecordBatch(arrowSchema, _parentColumns.Select(c => batch.Column(c)), batch.Length);
            }
            yield break;
        }
        var builders = _schema.Select(kv => ColumnBuilder.Create(kv.Value, kv.Key)).ToArray();
        // Edits read for a scan: parent rows come in ascending order, so a dense chunk is streamed batch by batch.
        var scans = _edits.Select(e => e?.ForScan()).ToArray();
        try
        {
            for (long start = 0; start < _rows; start += batchRows)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var end = Math.Min(_rows, start + batchRows);
                for (var row = start; row < end; row++)
                {
                    var p = _map is null ? row : _map[row];
                    for (var c = 0; c < builders.Length; c++)
                    {
                        builders[c].Append(ValueAt(c, p, scans[c]), row);
                    }
                }
                yield return new RecordBatch(arrowSchema, builders.Select(b => b.Build()), (int)(end - start));
            }
        }
        finally
        {
            for (var c = 0; c < scans.Length; c++)
            {
                if (!ReferenceEquals(scans[c], _edits[c]))
                {
                    (scans[c] as IDisposable)?.Dispose();
                }
            }
        }
    }

    private object? ValueAt(int column, long parentRow, IColumnEdits? edits)
    {
        if (edits is not null && edits.TryGet(parentRow, out var value))
        {
            return value;
        }
        var parentColumn = _parentColumns[column];
        return parentColumn >= 0 ? _parent.GetValue(parentColumn, parentRow) : null;
    }

    public override void Dispose()
    {
        foreach (var edits in _edits)
        {
            (edits as IDisposable)?.Dispose();
        }
        _parent.Dispose();
    }
}
