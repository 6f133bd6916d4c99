using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Querying;

namespace Tlc;

/// <summary>
/// A metrics table's rows side by side with the input rows they describe (by <c>example_id</c>, in the exact input
/// revision the metrics name): the metrics columns, then the input's columns — one the metrics table has too is named
/// <c>input.&lt;name&gt;</c>. Filters, sorts and charts run over both at once (<see cref="RowQueries"/>), e.g. the samples
/// of one class whose loss is highest.
/// </summary>
public sealed class MetricsJoin : IRowSource
{
    private readonly Dictionary<string, (bool Input, string Column)> _columns = new(StringComparer.Ordinal);

    private MetricsJoin(Table metrics, Table input)
    {
        Metrics = metrics;
        Input = input;
        Schema = new TableSchema();
        foreach (var (name, column) in metrics.Schema)
        {
            Schema.Add(name, column);
            _columns[name] = (false, name);
        }
        foreach (var (name, column) in input.Schema)
        {
            var shown = _columns.ContainsKey(name) ? $"input.{name}" : name;
            Schema.Add(shown, column);
            _columns[shown] = (true, name);
        }
    }

    /// <summary>The metrics table.</summary>
    public Table Metrics { get; }

    /// <summary>The input table revision its example ids index.</summary>
    public Table Input { get; }

    /// <inheritdoc />
    public Url Url => Metrics.Url;

    /// <inheritdoc />
    public TableSchema Schema { get; }

    /// <inheritdoc />
    public long RowCount => Metrics.RowCount;

    /// <summary>Joins <paramref name="metrics"/> to its input table (opened here; the caller disposes the join's tables).</summary>
    /// <exception cref="InvalidOperationException"><paramref name="metrics"/> is not a metrics table.</exception>
    public static async Task<MetricsJoin> OpenAsync(Table metrics, CancellationToken cancellationToken = default) =>
        new(metrics, await MetricsView.ForeignTableAsync(metrics, cancellationToken).ConfigureAwait(false));

    /// <summary>Joins <paramref name="metrics"/> to <paramref name="input"/>, the revision its example ids index.</summary>
    public static MetricsJoin Of(Table metrics, Table input) => new(metrics, input);

    /// <summary>The input row of metrics row <paramref name="row"/>.</summary>
    public long InputRow(long row) => Metrics.GetValue("example_id", row) is long id ? id
        : throw new InvalidOperationException($"{Metrics.Url}: row {row} has no example_id.");

    /// <summary>Whether column <paramref name="column"/> of the join comes from the input table, and its name there.</summary>
    public (bool Input, string Column) Source(string column) => _columns.TryGetValue(column, out var source) ? source
        : throw new KeyNotFoundException($"{Metrics.Url} joined to {Input.Url} has no column '{column}'. Columns: {string.Join(", ", Schema.Names)}.");

    /// <inheritdoc />
    public object?[] ReadColumn(string column)
    {
        var (input, name) = Source(column);
        if (!input)
        {
            return Metrics.ReadColumn(name);
        }
        var ids = Metrics.ReadColumn("example_id");
        var values = Input.ReadColumn(name);
        var joined = new object?[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            joined[i] = ids[i] is long id ? values[id] : throw new InvalidOperationException($"{Metrics.Url}: row {i} has no example_id.");
        }
        return joined;
    }

    /// <inheritdoc />
    public object? GetValue(string column, long row)
    {
        var (input, name) = Source(column);
        return input ? Input.GetValue(name, InputRow(row)) : Metrics.GetValue(name, row);
    }
}
