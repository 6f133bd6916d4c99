using System.Collections;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables;

/// <summary>
/// Builds Arrow record batches of a <see cref="TableSchema"/> from rows or columns of .NET values, validating every
/// value as <see cref="TableWriter"/> does (the error names the row, the column path and the expected type). For code
/// that writes chunk files itself, such as metrics writers and workers.
/// </summary>
public sealed class RecordBatchBuilder
{
    private readonly TableSchema _schema;
    private readonly ColumnBuilder[] _builders;
    private readonly string[] _names;
    private readonly Apache.Arrow.Schema _arrowSchema;
    private long _rows;

    /// <summary>Creates a builder for <paramref name="schema"/>.</summary>
    public RecordBatchBuilder(TableSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _schema = schema.Clone();
        _names = [.. _schema.Names];
        _builders = _schema.Select(kv => ColumnBuilder.Create(kv.Value, kv.Key)).ToArray();
        _arrowSchema = ArrowSchemas.ToArrowSchema(_schema);
    }

    /// <summary>The Arrow schema of the batches.</summary>
    public Apache.Arrow.Schema ArrowSchema => _arrowSchema;

    /// <summary>Rows buffered since the last <see cref="Build"/>.</summary>
    public int Count => _builders.Length == 0 ? 0 : _builders[0].Length;

    /// <summary>Rows added in all (row numbers in errors count from here).</summary>
    public long RowsAdded => _rows;

    /// <summary>
    /// Adds rows given column-wise: every column of the schema, each with <paramref name="rowCount"/> values (a column not
    /// given takes its default). Validates all rows before adding any, so a bad value leaves the builder unchanged.
    /// </summary>
    public void AddColumns(IReadOnlyDictionary<string, IList> columns, int rowCount)
    {
        ArgumentNullException.ThrowIfNull(columns);
        foreach (var (name, values) in columns)
        {
            if (!_schema.Contains(name))
            {
                throw new RowValidationException(_rows, name, $"no such column (columns: {string.Join(", ", _names)})");
            }
            if (values.Count != rowCount)
            {
                throw new ArgumentException($"Column '{name}' has {values.Count} values for {rowCount} rows.", nameof(columns));
            }
        }
        // Validate into scratch builders first: nothing is added when a value is wrong.
        var scratch = _schema.Select(kv => ColumnBuilder.Create(kv.Value, kv.Key)).ToArray();
        Append(scratch, columns, rowCount);
        Append(_builders, columns, rowCount);
        _rows += rowCount;
    }

    private void Append(ColumnBuilder[] builders, IReadOnlyDictionary<string, IList> columns, int rowCount)
    {
        for (var c = 0; c < _names.Length; c++)
        {
            var schema = _schema[_names[c]];
            columns.TryGetValue(_names[c], out var values);
            for (var r = 0; r < rowCount; r++)
            {
                var value = values is not null ? values[r] : schema switch
                {
                    ScalarSchema { DefaultValue: { } d } => d,
                    { Nullable: true } => null,
                    _ => throw new RowValidationException(_rows + r, _names[c], $"missing value (expected {schema.Describe()})"),
                };
                builders[c].Append(value, _rows + r);
            }
        }
    }

    /// <summary>Builds a record batch of the buffered rows and starts over.</summary>
    public RecordBatch Build()
    {
        var count = Count;
        return new RecordBatch(_arrowSchema, _builders.Select(b => b.Build()), count);
    }
}
