using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;

namespace Tlc.Tables.Querying;

/// <summary>
/// Whole columns of the rows matching some filters as one Arrow record batch, for clients that draw every row (the
/// dashboard's embedding scatter over 10^6 points): a <c>row</c> column (int32: the row in the source) and each column asked
/// for, as numbers a browser reads without conversion.
/// <list type="bullet">
/// <item>float32 stays float32; float64 and 64-bit or unsigned 32-bit integers become float64 (exact to 2^53);</item>
/// <item>booleans and smaller integers (categorical labels) become int32;</item>
/// <item>a list of numbers (a reduced embedding) becomes a fixed-size list of float32 as long as its first value;</item>
/// <item>nulls stay nulls (a list of another length is null too); strings and other values are refused.</item>
/// </list>
/// </summary>
public static class ColumnBatches
{
    /// <summary>The name of the column of row numbers.</summary>
    public const string RowColumn = "row";

    /// <summary>
    /// <paramref name="columns"/> of the rows of <paramref name="source"/> matching <paramref name="filters"/>, in row order.
    /// </summary>
    /// <exception cref="KeyNotFoundException">A column or filter names a column the source does not have.</exception>
    /// <exception cref="ArgumentException">A column holds values that are not numbers or lists of numbers (named).</exception>
    /// <exception cref="OverflowException">More than 2^31 − 1 rows match.</exception>
    public static RecordBatch Read(IRowSource source, IReadOnlyList<string> columns, IReadOnlyList<ColumnPredicate>? filters = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(columns);
        var rows = RowQueries.MatchingRows(source, filters ?? [], cancellationToken);
        var fields = new List<Field> { new(RowColumn, Int32Type.Default, nullable: false) };
        var arrays = new List<IArrowArray> { Primitive(Int32Type.Default, rows.Count, MemoryMarshal.AsBytes<int>(rows.Select(r => checked((int)r)).ToArray()), null, 0) };
        foreach (var column in columns)
        {
            if (column == RowColumn || fields.Any(f => f.Name == column))
            {
                throw new ArgumentException($"Column '{column}' is asked for twice (or is the row column).");
            }
            cancellationToken.ThrowIfCancellationRequested();
            var values = source.ReadColumn(column);
            var array = Encode(source, column, values, rows);
            fields.Add(new Field(column, array.Data.DataType, nullable: true));
            arrays.Add(array);
        }
        return new RecordBatch(new Schema(fields, null), arrays, rows.Count);
    }

    private static IArrowArray Encode(IRowSource source, string column, object?[] values, IReadOnlyList<long> rows)
    {
        object? first = null;
        for (var i = 0; i < rows.Count && first is null; i++)
        {
            first = values[rows[i]];
        }
        var count = rows.Count;
        var valid = new byte[(count + 7) / 8];
        var nulls = 0;
        void Mark(int i, bool ok)
        {
            if (ok)
            {
                valid[i >> 3] |= (byte)(1 << (i & 7));
            }
            else
            {
                nulls++;
            }
        }
        switch (first)
        {
            case null or float:
            {
                var data = new float[count];
                for (var i = 0; i < count; i++)
                {
                    var ok = values[rows[i]] is float f;
                    data[i] = ok ? (float)values[rows[i]]! : 0;
                    Mark(i, ok);
                }
                return Primitive(FloatType.Default, count, MemoryMarshal.AsBytes<float>(data), valid, nulls);
            }
            case double or long or ulong or uint:
            {
                var data = new double[count];
                for (var i = 0; i < count; i++)
                {
                    var ok = Number(values[rows[i]], out data[i]);
                    Mark(i, ok);
                }
                return Primitive(DoubleType.Default, count, MemoryMarshal.AsBytes<double>(data), valid, nulls);
            }
            case int or short or sbyte or byte or ushort or bool:
            {
                var data = new int[count];
                for (var i = 0; i < count; i++)
                {
                    var value = values[rows[i]];
                    var ok = value is int or short or sbyte or byte or ushort or bool;
                    data[i] = value switch { bool b => b ? 1 : 0, IConvertible c when ok => c.ToInt32(System.Globalization.CultureInfo.InvariantCulture), _ => 0 };
                    Mark(i, ok);
                }
                return Primitive(Int32Type.Default, count, MemoryMarshal.AsBytes<int>(data), valid, nulls);
            }
            case float[] or double[]:
            {
                var size = first is float[] f0 ? f0.Length : ((double[])first).Length;
                var data = new float[checked(count * size)];
                for (var i = 0; i < count; i++)
                {
                    var ok = true;
                    switch (values[rows[i]])
                    {
                        case float[] f when f.Length == size:
                            f.CopyTo(data, i * size);
                            break;
                        case double[] d when d.Length == size:
                            for (var k = 0; k < size; k++)
                            {
                                data[i * size + k] = (float)d[k];
                            }
                            break;
                        default:
                            ok = false;
                            break;
                    }
                    Mark(i, ok);
                }
                var child = Primitive(FloatType.Default, data.Length, MemoryMarshal.AsBytes<float>(data), null, 0);
                var type = new FixedSizeListType(new Field("item", FloatType.Default, nullable: false), size);
                return ArrowArrayFactory.BuildArray(new ArrayData(type, count, nulls, 0,
                    [nulls == 0 ? ArrowBuffer.Empty : new ArrowBuffer(valid)], [child.Data]));
            }
            default:
                throw new ArgumentException($"Column '{column}' of {source.Url} holds {first.GetType().Name} values: only numbers and lists of numbers (embeddings) are served as columns.");
        }
    }

    private static bool Number(object? value, out double number)
    {
        number = value switch
        {
            double d => d,
            long l => l,
            ulong u => u,
            uint u => u,
            float f => f,
            int i => i,
            _ => double.NaN,
        };
        return value is double or long or ulong or uint or float or int;
    }

    private static IArrowArray Primitive(IArrowType type, int length, ReadOnlySpan<byte> data, byte[]? valid, int nulls) =>
        ArrowArrayFactory.BuildArray(new ArrayData(type, length, nulls, 0,
            [nulls == 0 || valid is null ? ArrowBuffer.Empty : new ArrowBuffer(valid), new ArrowBuffer(data.ToArray())]));
}
