using System.Collections;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;
using Tlc.Tables.Reading;
using Tlc.Tables.Revisions;
using Tlc.Tables.Samples;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Tables;

/// <summary>
/// An immutable, schema-aware table: Arrow chunk files plus an object file. <c>table[i]</c> returns the sample of row i
/// (values decoded by their sample type, hidden columns left out), <see cref="Rows"/><c>[i]</c> the raw row,
/// <see cref="Column"/> a column as Arrow arrays. Random access reads only the record batch holding the row.
/// Edits (<see cref="Edit"/>) never change a table: they publish a new revision.
/// </summary>
public sealed partial class Table : IReadOnlyList<TableRow>, Querying.IRowSource, IDisposable
{
    /// <summary>The bytes of decoded record batches a table keeps cached for random access: 256 MiB.</summary>
    public const long DefaultCacheBytes = 256L << 20;

    private readonly TableData _data;
    private readonly string[] _names;
    private readonly string[] _sampleNames;
    private readonly int[] _sampleColumns;
    private readonly ISampleType?[] _sampleDecoders;
    private readonly Apache.Arrow.Schema _arrowSchema;

    private Table(Url url, TableObject table, TableData data, IReadOnlyList<Table> parents, UrlAdapterRegistry adapters, SampleTypeRegistry sampleTypes, UrlAliases aliases)
    {
        Url = url;
        Aliases = aliases;
        Object = table;
        _data = data;
        Parents = parents;
        Adapters = adapters;
        SampleTypes = sampleTypes;
        _names = [.. data.Schema.Names];
        _sampleColumns = Enumerable.Range(0, _names.Length).Where(i => !data.Schema[_names[i]].Hidden).ToArray();
        _sampleNames = _sampleColumns.Select(i => _names[i]).ToArray();
        _sampleDecoders = _sampleColumns.Select(i => sampleTypes.Find(data.Schema[_names[i]].SampleType)).ToArray();
        _arrowSchema = ArrowSchemas.ToArrowSchema(data.Schema);
        Rows = new TableRowList(this);
    }

    /// <summary>Opens the table whose folder is <paramref name="url"/> (3LC's <c>Table.from_url</c>).</summary>
    public static Task<Table> FromUrlAsync(Url url, UrlAdapterRegistry? adapters = null, CancellationToken cancellationToken = default) =>
        OpenAsync(url, adapters, cancellationToken);

    /// <summary>Opens the table whose folder is <paramref name="url"/>.</summary>
    public static Task<Table> OpenAsync(Url url, UrlAdapterRegistry? adapters = null, CancellationToken cancellationToken = default) =>
        OpenAsync(url, null, adapters ?? UrlAdapterRegistry.Default, SampleTypeRegistry.Default, cancellationToken);

    /// <summary>Opens the table whose folder is <paramref name="url"/>, blocking.</summary>
    public static Table Open(Url url, UrlAdapterRegistry? adapters = null) =>
        OpenAsync(url, adapters).GetAwaiter().GetResult();

    internal static async Task<Table> OpenAsync(Url url, string? expectedId, UrlAdapterRegistry adapters, SampleTypeRegistry sampleTypes,
        CancellationToken cancellationToken)
    {
        url = adapters.Expand(url);
        var table = expectedId is null
            ? await ObjectFiles.ReadAsync(adapters, url, cancellationToken).ConfigureAwait(false)
            : await ObjectFiles.ReadVersionAsync(adapters, url, expectedId, cancellationToken).ConfigureAwait(false);
        var where = TableLayout.ObjectFile(url).Value;
        var schema = TableSchema.FromJson(table.Schema, $"{where}: schema");
        var aliases = await adapters.AliasesForAsync(url, cancellationToken).ConfigureAwait(false);
        if (LineageKinds.StoresRows(table.Lineage.Kind))
        {
            TableData rows = new ChunkedData(url, table, schema, adapters, DefaultCacheBytes);
            if (table.Properties?.GetValueOrDefault(TableObject.RowOrderProperty) is { } orderBy)
            {
                rows = new OrderedData(rows, orderBy, where);
            }
            return new Table(url, table, rows, [], adapters, sampleTypes, aliases);
        }
        if (table.Lineage.Parents.Count == 0)
        {
            throw new FormatException($"{where}: a '{table.Lineage.Kind}' table needs a parent.");
        }
        var parents = new List<Table>();
        foreach (var parent in table.Lineage.Parents)
        {
            var parentUrl = ObjectFiles.Resolve(url, parent.Url, "parent url", absoluteMayLeave: true);
            parents.Add(await OpenAsync(parentUrl, parent.Id, adapters, sampleTypes, cancellationToken).ConfigureAwait(false));
        }
        // URL values stored relative to a parent's folder are read relative to this one (the same when they are siblings).
        var parentParts = parents.Select(p => RebasedData.Create(p._data, p.Url, url)).ToList();
        TableData parentData = parentParts.Count == 1
            ? parentParts[0]
            : new ConcatData(parentParts, parents[0].Schema);
        var data = await DerivedTables.BuildDataAsync(url, table, schema, parentData, adapters, cancellationToken).ConfigureAwait(false);
        return new Table(url, table, data, parents, adapters, sampleTypes, aliases);
    }

    /// <summary>The table folder.</summary>
    public Url Url { get; }

    /// <summary>
    /// The URL a stored URL value of this table names (an image or mask column's raw value): as it is when absolute or
    /// aliased, else relative to this table's folder — where values inside the root are stored, so that a root moves
    /// whole. Aliases are kept; <c>Adapters.Expand</c> replaces them.
    /// </summary>
    /// <exception cref="ArgumentException">The value is no URL, or climbs out of the URL's root.</exception>
    public Url ResolveUrl(string stored) => StoredUrls.Resolve(stored, Url);

    /// <summary>The aliases of this table's URLs: the registry's with its project's (<see cref="ProjectAliases"/>).</summary>
    public UrlAliases Aliases { get; }

    /// <summary><paramref name="url"/> with every alias token replaced, the project's aliases included.</summary>
    /// <exception cref="ArgumentException">An alias no setting defines.</exception>
    public Url Expand(Url url) => Aliases.Expand(url);

    /// <summary>The table name.</summary>
    public string Name => Object.Name;

    /// <summary>The object file's contents.</summary>
    public TableObject Object { get; }

    /// <summary>The columns.</summary>
    public TableSchema Schema => _data.Schema;

    /// <summary>The columns as an Arrow schema.</summary>
    public Apache.Arrow.Schema ArrowSchema => _arrowSchema;

    /// <summary>The number of rows.</summary>
    public long RowCount => _data.RowCount;

    /// <summary>The number of rows (for <see cref="IReadOnlyList{T}"/>; tables over 2^31 rows use <see cref="RowCount"/>).</summary>
    public int Count => checked((int)_data.RowCount);

    /// <summary>The tables this one derives from (empty for tables that store rows).</summary>
    public IReadOnlyList<Table> Parents { get; }

    /// <summary>The URL adapters the table reads through.</summary>
    public UrlAdapterRegistry Adapters { get; }

    /// <summary>The sample types decoding <c>table[i]</c>.</summary>
    public SampleTypeRegistry SampleTypes { get; }

    /// <summary>The raw rows: <c>Rows[i]</c> holds the stored values.</summary>
    public TableRowList Rows { get; }

    /// <summary>The sample of row <paramref name="index"/>: values decoded by sample type, hidden columns left out.</summary>
    public TableRow this[int index] => Sample(index);

    /// <summary>The sample of row <paramref name="row"/>.</summary>
    public TableRow Sample(long row)
    {
        var raw = _data.GetRow(row);
        var values = new object?[_sampleColumns.Length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Decode(i, raw[_sampleColumns[i]], row);
        }
        return new TableRow(row, _sampleNames, values);
    }

    /// <summary>The decoded sample value of one column of row <paramref name="row"/> (an image, without decoding the rest of the row).</summary>
    /// <exception cref="KeyNotFoundException">The table has no such column (or it is hidden from samples).</exception>
    public object? SampleValue(string column, long row)
    {
        var i = System.Array.FindIndex(_sampleColumns, c => _names[c] == column);
        if (i < 0)
        {
            throw new KeyNotFoundException($"{Url} has no sample column '{column}'. Columns: {string.Join(", ", _sampleNames)}.");
        }
        return Decode(i, _data.GetValue(_sampleColumns[i], row), row);
    }

    /// <summary>
    /// The image of image column <paramref name="column"/> at <paramref name="row"/>, decoded — also where the column keeps
    /// image URLs undecoded (sample type <c>url</c>, as COCO imports do); null where the row has none.
    /// </summary>
    /// <exception cref="ArgumentException">The column holds no images.</exception>
    public ImageSample? Image(string column, long row)
    {
        var value = SampleValue(column, row);
        return value switch
        {
            null => null,
            ImageSample image => image,
            string stored when Schema[column] is ImageSchema => ImageFileSampleType.Read(stored, new SampleReadContext(column, Schema[column], row, Url, Adapters) { Aliases = Aliases }),
            _ => throw new ArgumentException($"column: '{column}' of {Url} holds no image ({Schema[column].Type} values)."),
        };
    }

    /// <summary>Sample column <paramref name="i"/>'s stored value <paramref name="raw"/> of <paramref name="row"/>, decoded by its sample type.</summary>
    private object? Decode(int i, object? raw, long row)
    {
        var c = _sampleColumns[i];
        return _sampleDecoders[i] is { } decoder && raw is not null
            ? decoder.Decode(raw, new SampleReadContext(_names[c], Schema[_names[c]], row, Url, Adapters) { Aliases = Aliases })
            : raw;
    }

    /// <summary>
    /// Every stored value of <paramref name="column"/>, in row order, read in one scan and kept (up to
    /// <see cref="KeptColumns"/> columns; asking for one more drops those kept): repeated queries over a table (the
    /// dashboard's grid) scan arrays.
    /// </summary>
    public object?[] ReadColumn(string column)
    {
        var c = Schema.IndexOf(column);
        if (c < 0)
        {
            throw new KeyNotFoundException($"{Url} has no column '{column}'. Columns: {string.Join(", ", _names)}.");
        }
        lock (_columns)
        {
            if (_columns.TryGetValue(column, out var kept))
            {
                return kept;
            }
        }
        var values = new object?[RowCount];
        long at = 0;
        foreach (var batch in _data.ScanBatches(_arrowSchema, 65_536, CancellationToken.None))
        {
            var array = batch.Column(c);
            for (var i = 0; i < batch.Length; i++)
            {
                values[at++] = ArrowValues.GetValue(array, i);
            }
        }
        lock (_columns)
        {
            if (_columns.Count >= KeptColumns)
            {
                _columns.Clear();
            }
            _columns[column] = values;
        }
        return values;
    }

    /// <summary>How many columns <see cref="ReadColumn"/> keeps at most: 8.</summary>
    public const int KeptColumns = 8;

    private readonly Dictionary<string, object?[]> _columns = new(StringComparer.Ordinal);

    internal TableRow RawRow(long row) => new(row, _names, _data.GetRow(row));

    /// <summary>The stored value of <paramref name="column"/> at <paramref name="row"/>.</summary>
    public object? GetValue(string column, long row)
    {
        var c = Schema.IndexOf(column);
        if (c < 0)
        {
            throw new KeyNotFoundException($"{Url} has no column '{column}'. Columns: {string.Join(", ", _names)}.");
        }
        return _data.GetValue(c, row);
    }

    /// <summary>Every row as Arrow record batches, in order (streamed: one batch in memory at a time).</summary>
    public IEnumerable<RecordBatch> ScanBatches(CancellationToken cancellationToken = default) =>
        _data.ScanBatches(_arrowSchema, 65_536, cancellationToken);

    /// <summary>A column as Arrow arrays (one per record batch).</summary>
    public ChunkedArray Column(string name)
    {
        var c = Schema.IndexOf(name);
        if (c < 0)
        {
            throw new KeyNotFoundException($"{Url} has no column '{name}'. Columns: {string.Join(", ", _names)}.");
        }
        var arrays = ScanBatches().Select(b => b.Column(c)).ToList();
        return arrays.Count == 0 ? new ChunkedArray(new List<IArrowArray> { ColumnBuilder.Create(Schema[name], name).Build() }) : new ChunkedArray(arrays);
    }

    /// <summary>A view whose items are <paramref name="transform"/> applied to each sample (for data loaders); nothing is stored.</summary>
    public TableView<T> WithTransform<T>(Func<TableRow, T> transform) => new(this, Enumerable.Range(0, Count).Select(i => (long)i).ToArray(), transform);

    /// <summary>For a derived table: the parent row shown at <paramref name="row"/>.</summary>
    public long MapRowToParent(long row) => _data is DerivedData d ? d.ParentRow(row)
        : throw new InvalidOperationException($"{Url} stores its own rows; it has no parent.");

    /// <summary>For a derived table: the row showing <paramref name="parentRow"/> of the parent, or -1 when that row was left out.</summary>
    public long MapRowFromParent(long parentRow) => _data is DerivedData d ? d.RowOfParent(parentRow)
        : throw new InvalidOperationException($"{Url} stores its own rows; it has no parent.");

    /// <inheritdoc />
    public IEnumerator<TableRow> GetEnumerator()
    {
        for (long i = 0; i < RowCount; i++)
        {
            yield return Sample(i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Closes open chunk files and drops cached batches.</summary>
    public void Dispose() => _data.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"Table {Url} ({RowCount} rows, {Schema.Count} columns)";
}

/// <summary>The raw rows of a table.</summary>
public sealed class TableRowList : IReadOnlyList<TableRow>
{
    private readonly Table _table;

    internal TableRowList(Table table) => _table = table;

    /// <summary>The raw row <paramref name="index"/>.</summary>
    public TableRow this[int index] => _table.RawRow(index);

    /// <summary>The raw row <paramref name="index"/>.</summary>
    public TableRow this[long index] => _table.RawRow(index);

    /// <inheritdoc />
    public int Count => _table.Count;

    /// <inheritdoc />
    public IEnumerator<TableRow> GetEnumerator()
    {
        for (long i = 0; i < _table.RowCount; i++)
        {
            yield return _table.RawRow(i);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>
/// A transformed view of a table (<see cref="Table.WithTransform{T}"/>): item i is the transform of a sample. Not
/// persisted; chain with <see cref="WithTransform{TNext}"/>.
/// </summary>
public sealed class TableView<T> : IReadOnlyList<T>
{
    private readonly Table _table;
    private readonly long[] _rows;
    private readonly Func<TableRow, T> _transform;

    internal TableView(Table table, long[] rows, Func<TableRow, T> transform)
    {
        _table = table;
        _rows = rows;
        _transform = transform;
    }

    /// <summary>The table underneath.</summary>
    public Table Table => _table;

    /// <summary>The transformed sample <paramref name="index"/>.</summary>
    public T this[int index] => _transform(_table.Sample(_rows[index]));

    /// <inheritdoc />
    public int Count => _rows.Length;

    /// <summary>A view applying <paramref name="next"/> after this view's transform.</summary>
    public TableView<TNext> WithTransform<TNext>(Func<T, TNext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        var transform = _transform;
        return new TableView<TNext>(_table, _rows, row => next(transform(row)));
    }

    /// <inheritdoc />
    public IEnumerator<T> GetEnumerator()
    {
        for (var i = 0; i < _rows.Length; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
