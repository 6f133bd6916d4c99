using System.Text.Json.Nodes;
using Apache.Arrow;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>The last step every importer shares: apply schema overrides, write the rows, publish.</summary>
internal static class ImportWriting
{
    /// <summary>
    /// <paramref name="schema"/> with <see cref="ImportOptions.Schema"/> applied: an override replaces the inferred schema of
    /// its column; naming a column the import does not make is an error.
    /// </summary>
    public static TableSchema WithOverrides(TableSchema schema, ImportOptions options)
    {
        if (options.Schema is not { Count: > 0 } overrides)
        {
            return schema;
        }
        var result = schema.Clone();
        foreach (var (name, column) in overrides)
        {
            if (!result.Contains(name))
            {
                throw new ArgumentException(
                    $"The schema override names the column '{name}', which the import does not make (columns: {string.Join(", ", result.Names)}).",
                    nameof(options));
            }
            result[name] = column;
        }
        return result;
    }

    /// <summary>Writes <paramref name="rows"/> and publishes the table; on any error nothing is published.</summary>
    public static async Task<Table> WriteAsync(ImportOptions options, TableSchema schema, JsonObject source,
        IEnumerable<(IReadOnlyDictionary<string, object?> Row, string? Origin)> rows, CancellationToken cancellationToken)
    {
        await using var writer = await TableWriter.CreateAsync(options.ToWriterOptions(WithOverrides(schema, options), source), cancellationToken)
            .ConfigureAwait(false);
        foreach (var (row, origin) in rows)
        {
            cancellationToken.ThrowIfCancellationRequested();
            writer.AddRow(row, origin);
        }
        return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds <paramref name="batch"/> to <paramref name="writer"/>, leaving out the rows the writer refuses for their value
    /// (see <see cref="TableWriter.FirstInvalidRow"/>): each goes to <paramref name="leaveOut"/> with its index in the
    /// batch, its column and the problem, and the rows around it are written.
    /// </summary>
    public static void AddRecordBatchLeavingOut(TableWriter writer, RecordBatch batch, Action<int, string, string> leaveOut)
    {
        var start = 0;
        while (start < batch.Length)
        {
            var rest = start == 0 ? batch : Slice(batch, start, batch.Length - start);
            if (writer.FirstInvalidRow(rest) is not { } bad)
            {
                writer.AddCheckedRecordBatch(rest);
                return;
            }
            if (bad.Row > 0)
            {
                // Rows before the first bad one: they passed every check.
                writer.AddCheckedRecordBatch(Slice(rest, 0, bad.Row));
            }
            leaveOut(start + bad.Row, bad.Column, bad.Problem);
            start += bad.Row + 1;
        }
    }

    /// <summary>Rows [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) of <paramref name="batch"/>.</summary>
    public static RecordBatch Slice(RecordBatch batch, int offset, int length) =>
        new(batch.Schema, batch.Arrays.Select(a => ArrowArrayFactory.Slice(a, offset, length)), length);
}
