using System.Collections;
using System.Text.Json.Nodes;
using Tlc.DataTypes;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>Imports in-memory columns (see <see cref="Table.FromDictAsync"/>; 3LC's <c>Table.from_dict</c>).</summary>
internal static class DictImporter
{
    /// <summary>The name errors give the input.</summary>
    public const string InputName = "dict";

    public static async Task<Table> ImportAsync(IReadOnlyDictionary<string, IEnumerable> columns, ImportOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        var names = columns.Keys.ToArray();
        var values = new List<object?>[names.Length];
        for (var c = 0; c < names.Length; c++)
        {
            values[c] = columns[names[c]] switch
            {
                null => throw Error(null, names[c], "no values (null)"),
                string => throw Error(null, names[c], "a string, not a sequence of values"),
                var sequence => sequence.Cast<object?>().ToList(),
            };
        }
        CheckLengths(names, values);
        var rows = values.Length == 0 ? 0 : values[0].Count;
        var declared = options.Schema;
        foreach (var name in declared?.Keys ?? [])
        {
            if (!columns.ContainsKey(name))
            {
                throw new ImportException(InputName, null, $"the schema declares column '{name}', which the input lacks (columns: {string.Join(", ", names)})");
            }
        }
        var schema = new TableSchema();
        for (var c = 0; c < names.Length; c++)
        {
            schema.Add(names[c], declared?.GetValueOrDefault(names[c]) ?? Infer(names[c], values[c]));
        }
        var source = ImportProvenance.Source("dict", null, options, new JsonObject { ["rows"] = rows });
        var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, source), cancellationToken).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            for (var r = 0; r < rows; r++)
            {
                if ((r & 0xFFFF) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var row = new Dictionary<string, object?>(names.Length, StringComparer.Ordinal);
                for (var c = 0; c < names.Length; c++)
                {
                    row[names[c]] = values[c][r];
                }
                try
                {
                    writer.AddRow(row);
                }
                catch (RowValidationException e)
                {
                    throw Error(r, e.Column, e.Problem, e);
                }
            }
            return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static void CheckLengths(string[] names, List<object?>[] values)
    {
        if (values.Length == 0 || values.All(v => v.Count == values[0].Count))
        {
            return;
        }
        var shortest = Enumerable.Range(0, names.Length).MinBy(c => values[c].Count);
        var longest = Enumerable.Range(0, names.Length).MaxBy(c => values[c].Count);
        throw new ImportException(InputName, $"row {values[shortest].Count}",
            $"columns differ in length: '{names[longest]}' has {values[longest].Count} values, '{names[shortest]}' has {values[shortest].Count} " +
            $"(lengths: {string.Join(", ", names.Select((n, c) => $"{n}={values[c].Count}"))})");
    }

    private static ImportException Error(long? row, string column, string problem, Exception? inner = null) =>
        new(InputName, row is null ? $"column '{column}'" : $"row {row}, column '{column}'", problem, inner);

    private enum Kind
    {
        None,
        Int64,
        UInt64,
        Float32,
        Float64,
        Bool,
        String,
        Timestamp,
        Bytes,
        Float32List,
        Float64List,
        Int32List,
        Int64List,
        StringList,
    }

    /// <summary>
    /// The schema of a column's values: integers → int64 (ulong → uint64), float → float32, double and decimal → float64
    /// (integers mixed with floats → float64), bool, string, DateTime/DateTimeOffset → timestamp, byte[] → bytes,
    /// float[] → <see cref="EmbeddingSchema"/> of their length when all are equally long (else a list of float32), double[],
    /// int[], long[] and string[] → lists. A null makes the column nullable; a column of nulls only is a nullable string.
    /// Anything else (annotations included) needs a declared schema.
    /// </summary>
    private static ColumnSchema Infer(string name, List<object?> values)
    {
        var kind = Kind.None;
        var kindRow = 0;
        var nullable = false;
        int? length = null;
        var lengthVaries = false;
        for (var r = 0; r < values.Count; r++)
        {
            var value = values[r];
            var (next, count) = value switch
            {
                null => (Kind.None, 0),
                int or long or short or sbyte or byte or ushort or uint => (Kind.Int64, 0),
                ulong => (Kind.UInt64, 0),
                float => (Kind.Float32, 0),
                double or decimal => (Kind.Float64, 0),
                bool => (Kind.Bool, 0),
                string => (Kind.String, 0),
                DateTime or DateTimeOffset => (Kind.Timestamp, 0),
                byte[] => (Kind.Bytes, 0),
                float[] f => (Kind.Float32List, f.Length),
                double[] => (Kind.Float64List, 0),
                int[] => (Kind.Int32List, 0),
                long[] => (Kind.Int64List, 0),
                string[] => (Kind.StringList, 0),
                IAnnotation => throw Error(r, name,
                    $"{value.GetType().Name} annotations need a declared schema: set Schema[\"{name}\"] (e.g. {value.GetType().Name}.Schema(...))"),
                _ => throw Error(r, name, $"no schema is inferred for {value.GetType().Name} values; declare the column in Schema"),
            };
            if (next == Kind.None)
            {
                nullable = true;
                continue;
            }
            if (next == Kind.Float32List)
            {
                lengthVaries |= length is { } l && l != count;
                length ??= count;
            }
            if (kind == Kind.None)
            {
                (kind, kindRow) = (next, r);
            }
            else if (kind != next)
            {
                kind = (kind, next) switch
                {
                    (Kind.Int64 or Kind.Float32 or Kind.Float64, Kind.Int64 or Kind.Float32 or Kind.Float64) => Kind.Float64,
                    _ => throw Error(r, name, $"{value!.GetType().Name} here, but {values[kindRow]!.GetType().Name} in row {kindRow}; declare the column in Schema"),
                };
            }
        }
        ColumnSchema schema = kind switch
        {
            Kind.Int64 => new Int64Schema(),
            Kind.UInt64 => new UInt64Schema(),
            Kind.Float32 => new Float32Schema(),
            Kind.Float64 => new Float64Schema(),
            Kind.Bool => new BoolSchema(),
            Kind.Timestamp => new DateTimeSchema(),
            Kind.Bytes => new BytesSchema(),
            Kind.Float32List => !lengthVaries && length is > 0 and var n ? new EmbeddingSchema(n) : new ListSchema(new Float32Schema()),
            Kind.Float64List => new ListSchema(new Float64Schema()),
            Kind.Int32List => new ListSchema(new Int32Schema()),
            Kind.Int64List => new ListSchema(new Int64Schema()),
            Kind.StringList => new ListSchema(new StringSchema()),
            _ => new StringSchema(),
        };
        return nullable || kind == Kind.None ? schema.AsNullable() : schema;
    }
}
