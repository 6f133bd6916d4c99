using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Querying;
using Tlc.Tables.Storage;

namespace Tlc;

/// <summary>Where a column of a <see cref="MetricsComparison"/> comes from.</summary>
public enum ComparedSide
{
    /// <summary>The compared rows (metrics table A, or A joined to its input rows).</summary>
    A,

    /// <summary>Metrics table B, at the row with the same <c>example_id</c>: <c>b.&lt;name&gt;</c>.</summary>
    B,

    /// <summary>B's value less A's: <c>delta.&lt;name&gt;</c>.</summary>
    Delta,
}

/// <summary>
/// Two metrics tables over the same input table compared per sample (another epoch of a run, or another run): the rows of
/// A (alone, or joined to its input rows with <see cref="MetricsJoin"/>), each beside the row of B with the same
/// <c>example_id</c>. The columns are A's, then B's scalar columns as <c>b.&lt;name&gt;</c>, then for every numeric
/// measure both have (not <c>example_id</c>, <c>epoch</c> or a label) <c>delta.&lt;name&gt;</c> = B − A, a float64:
/// positive where B's value is higher (a later epoch's loss that grew). A row of A without a row in B has nulls there,
/// and so has a delta of a missing value. Filters, sorts and charts run over all of them (<see cref="RowQueries"/>):
/// <c>delta.loss&gt;0.5</c>, the samples whose loss grew most.
/// </summary>
public sealed class MetricsComparison : IRowSource
{
    /// <summary>The prefix of B's columns.</summary>
    public const string BPrefix = "b.";

    /// <summary>The prefix of the deltas.</summary>
    public const string DeltaPrefix = "delta.";

    private readonly IRowSource _a;
    private readonly Dictionary<string, (ComparedSide Side, string Column)> _columns = new(StringComparer.Ordinal);
    private readonly Lazy<long[]> _bRows;

    private MetricsComparison(IRowSource a, Table metricsA, Table b)
    {
        _a = a;
        A = metricsA;
        B = b;
        var inputA = InputUrl(metricsA, "A");
        var inputB = InputUrl(b, "B");
        if (inputA != inputB)
        {
            throw new ArgumentException($"{metricsA.Url} describes the input table {inputA} but {b.Url} describes {inputB}; "
                + "a comparison needs metrics of the same input table (revision).", nameof(b));
        }
        Schema = new TableSchema();
        foreach (var (name, column) in a.Schema)
        {
            Add(name, column, ComparedSide.A, name);
        }
        foreach (var (name, column) in b.Schema)
        {
            if (column is ScalarSchema && name != ExampleId)
            {
                Add(BPrefix + name, column, ComparedSide.B, name);
            }
        }
        foreach (var (name, column) in metricsA.Schema)
        {
            if (IsMeasure(column) && b.Schema.Find(name) is { } other && IsMeasure(other))
            {
                Add(DeltaPrefix + name, new Float64Schema(), ComparedSide.Delta, name);
            }
        }
        _bRows = new Lazy<long[]>(MatchRows);
    }

    private const string ExampleId = "example_id";

    /// <summary>Metrics table A, whose rows are compared.</summary>
    public Table A { get; }

    /// <summary>Metrics table B, compared with.</summary>
    public Table B { get; }

    /// <inheritdoc />
    public Url Url => A.Url;

    /// <inheritdoc />
    public TableSchema Schema { get; }

    /// <inheritdoc />
    public long RowCount => _a.RowCount;

    /// <summary>Compares metrics table <paramref name="a"/> with <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">Either is not a metrics table, or they describe different input tables (both named).</exception>
    public static MetricsComparison Of(Table a, Table b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a, a, b);
    }

    /// <summary>Compares the rows of <paramref name="a"/> (a metrics table beside its input rows) with metrics table <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">B is not a metrics table, or describes another input table (both named).</exception>
    public static MetricsComparison Of(MetricsJoin a, Table b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(a, a.Metrics, b);
    }

    /// <summary>Whether a column is a measure compared by a delta: a number that is no label, epoch or example id.</summary>
    public static bool IsMeasure(ColumnSchema column) =>
        column is ScalarSchema { ValueMap: null } s and not EpochSchema and not ExampleIdSchema && s.Kind.IsNumeric();

    /// <summary>Which side column <paramref name="column"/> comes from, and its name there.</summary>
    /// <exception cref="KeyNotFoundException">There is no such column (the columns named).</exception>
    public (ComparedSide Side, string Column) Source(string column) => _columns.TryGetValue(column, out var source) ? source
        : throw new KeyNotFoundException($"{A.Url} compared with {B.Url} has no column '{column}'. Columns: {string.Join(", ", Schema.Names)}.");

    /// <summary>The row of B with the example id of row <paramref name="row"/>, or null where B has none.</summary>
    public long? BRow(long row) => _bRows.Value[row] is >= 0 and var found ? found : null;

    /// <inheritdoc />
    public object?[] ReadColumn(string column)
    {
        var (side, name) = Source(column);
        if (side == ComparedSide.A)
        {
            return _a.ReadColumn(name);
        }
        var rows = _bRows.Value;
        var b = B.ReadColumn(name);
        var a = side == ComparedSide.Delta ? A.ReadColumn(name) : null;
        var values = new object?[rows.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            var other = rows[i] >= 0 ? b[rows[i]] : null;
            values[i] = a is null ? other : Delta(a[i], other);
        }
        return values;
    }

    /// <inheritdoc />
    public object? GetValue(string column, long row)
    {
        var (side, name) = Source(column);
        if (side == ComparedSide.A)
        {
            return _a.GetValue(name, row);
        }
        var other = BRow(row) is { } found ? B.GetValue(name, found) : null;
        return side == ComparedSide.B ? other : Delta(A.GetValue(name, row), other);
    }

    /// <summary>B − A, or null where either has no number.</summary>
    private static object? Delta(object? a, object? b) =>
        a is null || b is null ? null : Convert.ToDouble(b, System.Globalization.CultureInfo.InvariantCulture) - Convert.ToDouble(a, System.Globalization.CultureInfo.InvariantCulture);

    private void Add(string name, ColumnSchema column, ComparedSide side, string source)
    {
        if (_columns.ContainsKey(name))
        {
            throw new ArgumentException($"{A.Url} compared with {B.Url}: the column '{name}' would appear twice; rename the column of A that is named so.");
        }
        Schema.Add(name, column);
        _columns[name] = (side, source);
    }

    /// <summary>For each row of A, the row of B with the same example id (−1: none).</summary>
    private long[] MatchRows()
    {
        var inB = ExampleRows.Of(B);
        var ids = A.ReadColumn(ExampleId);
        var rows = new long[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            rows[i] = ids[i] is long id && id >= 0 && id < inB.Length ? inB[id] : -1;
        }
        return rows;
    }

    private static string InputUrl(Table metrics, string side) =>
        metrics.Object.Properties?.GetValueOrDefault(TableObject.ForeignTableUrlProperty) is { } url && metrics.Schema.Contains(ExampleId) ? url
            : throw new ArgumentException($"{metrics.Url} ({side}) is not a metrics table (it names no input table or has no example_id column).");
}
