using Apache.Arrow;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Export;

/// <summary>A record batch of exported rows and the table row each of them is.</summary>
internal sealed record ExportBatch(RecordBatch Batch, long[] Rows);

/// <summary>
/// Streams a table's rows for an export: the chosen columns only, rows below the weight threshold left out. Batches come
/// straight from the table (its current revision: edits and deletions applied) and are rebuilt only when rows are dropped.
/// URL values stored relative to the table (image and mask columns) are exported as the absolute URLs they name: an
/// export is read away from the table folder.
/// </summary>
internal sealed class ExportScan
{
    private readonly Table _table;
    private readonly int[] _columns;
    private readonly int _weightColumn = -1;
    private readonly float? _threshold;

    public ExportScan(Table table, ExportOptions options, string target, IReadOnlyList<string>? columns = null)
    {
        _table = table;
        var names = columns ?? options.Columns ?? table.Schema.Names;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        _columns = names.Select(n =>
        {
            var c = table.Schema.IndexOf(n);
            if (c < 0)
            {
                throw new ExportException(table.Url, target, $"no column '{n}' (columns: {string.Join(", ", table.Schema.Names)}).");
            }
            if (!seen.Add(n))
            {
                throw new ExportException(table.Url, target, $"the column '{n}' is named twice.");
            }
            return c;
        }).ToArray();
        if (options.WeightThreshold is { } threshold)
        {
            if (float.IsNaN(threshold))
            {
                throw new ExportException(table.Url, target, "the weight threshold is NaN.");
            }
            var weight = table.Schema.FirstOrDefault(kv => kv.Value is SampleWeightSchema).Key
                ?? throw new ExportException(table.Url, target,
                    $"a weight threshold needs a weight column (SampleWeightSchema); the table has none (columns: {string.Join(", ", table.Schema.Names)}).");
            _weightColumn = table.Schema.IndexOf(weight);
            _threshold = threshold;
        }
        Schema = new Apache.Arrow.Schema(_columns.Select(c => table.ArrowSchema.GetFieldByIndex(c)), table.ArrowSchema.Metadata);
        Names = _columns.Select(c => table.Schema.Names[c]).ToArray();
        _urls = _columns.Select(c => Urls.StoredUrls.HoldsUrls(table.Schema[table.Schema.Names[c]])).ToArray();
    }

    private readonly bool[] _urls;

    /// <summary>The Arrow schema of the exported batches.</summary>
    public Apache.Arrow.Schema Schema { get; }

    /// <summary>The exported column names.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Rows exported so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Rows left out so far.</summary>
    public long SkippedRows { get; private set; }

    public IEnumerable<ExportBatch> Batches(CancellationToken cancellationToken)
    {
        long start = 0;
        foreach (var batch in _table.ScanBatches(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var kept = Kept(batch);
            var rows = kept.Select(i => start + i).ToArray();
            start += batch.Length;
            SkippedRows += batch.Length - kept.Count;
            if (kept.Count == 0)
            {
                continue;
            }
            Rows += kept.Count;
            IEnumerable<IArrowArray> arrays;
            if (kept.Count == batch.Length)
            {
                arrays = _columns.Select(batch.Column);
            }
            else
            {
                arrays = _columns.Select(c =>
                {
                    var name = _table.Schema.Names[c];
                    var builder = ColumnBuilder.Create(_table.Schema[name], name);
                    var source = batch.Column(c);
                    for (var i = 0; i < kept.Count; i++)
                    {
                        builder.Append(ArrowValues.GetValue(source, kept[i]), i);
                    }
                    return builder.Build();
                }).ToList();
            }
            if (_urls.Any(u => u))
            {
                arrays = arrays.Select((a, i) => _urls[i] && a is StringArray strings ? StringArrays.Map(strings, v => v.Length == 0 || Url.IsAbsolute(v) ? v : _table.ResolveUrl(v).Value) : a).ToList();
            }
            yield return new ExportBatch(new RecordBatch(Schema, arrays, kept.Count), rows);
        }
    }

    private List<int> Kept(RecordBatch batch)
    {
        var kept = new List<int>(batch.Length);
        if (_weightColumn < 0)
        {
            kept.AddRange(Enumerable.Range(0, batch.Length));
            return kept;
        }
        var weights = batch.Column(_weightColumn);
        for (var i = 0; i < batch.Length; i++)
        {
            var w = ArrowValues.GetValue(weights, i);
            if (w is null || !(RowValues.ToSingle(w, "weight") < _threshold))
            {
                kept.Add(i);
            }
        }
        return kept;
    }
}
