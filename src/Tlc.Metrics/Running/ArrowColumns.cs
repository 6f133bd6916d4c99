using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Arrow;

namespace Tlc.Metrics;

/// <summary>
/// Builds the Arrow array of a column from one value per row, with exactly the type
/// <see cref="ArrowSchemas.ToArrowType"/> gives for its schema (what <see cref="TableWriter.AddRecordBatch"/> accepts).
/// Values: numbers, strings, bools, byte arrays, timestamps; typed arrays or any list for list columns; dictionaries or
/// annotations (<see cref="IAnnotation"/>) for struct columns. Errors name the example id and the column.
/// </summary>
internal static class ArrowColumns
{
    /// <summary>Stands for the value under a null parent (a null fixed-size list or struct): stored as a default, valid value.</summary>
    private static readonly object Filler = new();

    public static IArrowArray Build(string column, ColumnSchema schema, IList values, long[] exampleIds)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != exampleIds.Length)
        {
            throw new InvalidOperationException($"Column '{column}' has {values.Count} values for a batch of {exampleIds.Length} rows.");
        }
        return Build(column, schema, values, exampleIds, Identity(exampleIds.Length));
    }

    private static int[] Identity(int n)
    {
        var rows = new int[n];
        for (var i = 0; i < n; i++)
        {
            rows[i] = i;
        }
        return rows;
    }

    // rows[i]: the batch row of element i (for error messages of nested values).
    private static IArrowArray Build(string path, ColumnSchema schema, IList values, long[] ids, int[] rows) => schema switch
    {
        ScalarSchema s => Scalar(path, s, values, ids, rows),
        ListSchema l => List(path, l, values, ids, rows),
        StructSchema st => Struct(path, st, values, ids, rows),
        _ => throw new NotSupportedException($"Column '{path}': schema {schema.GetType().Name} has no Arrow type."),
    };

    private static IArrowArray Scalar(string path, ScalarSchema schema, IList values, long[] ids, int[] rows)
    {
        var type = ArrowSchemas.ToArrowType(schema);
        switch (schema.Kind)
        {
            case ScalarKind.Float32 when values is float[] f:
                return Dense(type, f);
            case ScalarKind.Int32 when values is int[] i:
                return Dense(type, i);
            case ScalarKind.Int64 when values is long[] l:
                return Dense(type, l);
            case ScalarKind.Float64 when values is double[] d:
                return Dense(type, d);
        }
        return schema.Kind switch
        {
            ScalarKind.Float32 => Primitive(path, schema, type, values, ids, rows, v => (float)ToDouble(v)),
            ScalarKind.Float64 => Primitive(path, schema, type, values, ids, rows, ToDouble),
            ScalarKind.Int8 => Primitive(path, schema, type, values, ids, rows, v => checked((sbyte)ToInt64(v))),
            ScalarKind.Int16 => Primitive(path, schema, type, values, ids, rows, v => checked((short)ToInt64(v))),
            ScalarKind.Int32 => Primitive(path, schema, type, values, ids, rows, v => checked((int)ToInt64(v))),
            ScalarKind.Int64 => Primitive(path, schema, type, values, ids, rows, ToInt64),
            ScalarKind.UInt8 => Primitive(path, schema, type, values, ids, rows, v => checked((byte)ToInt64(v))),
            ScalarKind.UInt16 => Primitive(path, schema, type, values, ids, rows, v => checked((ushort)ToInt64(v))),
            ScalarKind.UInt32 => Primitive(path, schema, type, values, ids, rows, v => checked((uint)ToInt64(v))),
            ScalarKind.UInt64 => Primitive(path, schema, type, values, ids, rows, v => v is ulong u ? u : checked((ulong)ToInt64(v))),
            ScalarKind.Timestamp => Primitive(path, schema, type, values, ids, rows, ToMicros),
            ScalarKind.Bool => Bools(path, schema, type, values, ids, rows),
            ScalarKind.String => Variable(path, schema, type, values, ids, rows, v => v is string s ? Encoding.UTF8.GetBytes(s) : throw new InvalidCastException()),
            ScalarKind.Binary => Variable(path, schema, type, values, ids, rows, v => v is byte[] b ? b : throw new InvalidCastException()),
            _ => throw new NotSupportedException($"Column '{path}': unsupported kind {schema.Kind}."),
        };
    }

    private static IArrowArray Dense<T>(IArrowType type, T[] values)
        where T : struct =>
        ArrowArrayFactory.BuildArray(new ArrayData(type, values.Length, 0, 0,
            [ArrowBuffer.Empty, new ArrowBuffer(MemoryMarshal.AsBytes(values.AsSpan()).ToArray())]));

    private static IArrowArray Primitive<T>(string path, ColumnSchema schema, IArrowType type, IList values, long[] ids, int[] rows, Func<object, T> convert)
        where T : struct
    {
        var n = values.Count;
        var data = new T[n];
        var validity = new ArrowBuffer.BitmapBuilder(n);
        var nulls = 0;
        for (var i = 0; i < n; i++)
        {
            var v = values[i];
            if (v is null)
            {
                RequireNullable(path, schema, ids[rows[i]]);
                validity.Append(false);
                nulls++;
                continue;
            }
            validity.Append(true);
            if (ReferenceEquals(v, Filler))
            {
                continue;
            }
            try
            {
                data[i] = convert(v);
            }
            catch (Exception e) when (e is InvalidCastException or FormatException or OverflowException)
            {
                throw Mismatch(path, schema, v, ids[rows[i]], e);
            }
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(type, n, nulls, 0,
            [nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance), new ArrowBuffer(MemoryMarshal.AsBytes(data.AsSpan()).ToArray())]));
    }

    private static IArrowArray Bools(string path, ColumnSchema schema, IArrowType type, IList values, long[] ids, int[] rows)
    {
        var n = values.Count;
        var data = new ArrowBuffer.BitmapBuilder(n);
        var validity = new ArrowBuffer.BitmapBuilder(n);
        var nulls = 0;
        for (var i = 0; i < n; i++)
        {
            switch (values[i])
            {
                case null:
                    RequireNullable(path, schema, ids[rows[i]]);
                    data.Append(false);
                    validity.Append(false);
                    nulls++;
                    break;
                case bool b:
                    data.Append(b);
                    validity.Append(true);
                    break;
                case var v when ReferenceEquals(v, Filler):
                    data.Append(false);
                    validity.Append(true);
                    break;
                case var v:
                    throw Mismatch(path, schema, v, ids[rows[i]], null);
            }
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(type, n, nulls, 0, [nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance), data.Build(ManagedMemoryAllocator.Instance)]));
    }

    private static IArrowArray Variable(string path, ColumnSchema schema, IArrowType type, IList values, long[] ids, int[] rows, Func<object, byte[]> bytes)
    {
        var n = values.Count;
        var offsets = new ArrowBuffer.Builder<int>(n + 1).Append(0);
        var data = new ArrowBuffer.Builder<byte>();
        var validity = new ArrowBuffer.BitmapBuilder(n);
        var nulls = 0;
        for (var i = 0; i < n; i++)
        {
            var v = values[i];
            if (v is null)
            {
                RequireNullable(path, schema, ids[rows[i]]);
                validity.Append(false);
                nulls++;
            }
            else
            {
                validity.Append(true);
                if (!ReferenceEquals(v, Filler))
                {
                    try
                    {
                        data.Append(bytes(v));
                    }
                    catch (InvalidCastException e)
                    {
                        throw Mismatch(path, schema, v, ids[rows[i]], e);
                    }
                }
            }
            offsets.Append(data.Length);
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(type, n, nulls, 0,
            [nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance), offsets.Build(ManagedMemoryAllocator.Instance), data.Build(ManagedMemoryAllocator.Instance)]));
    }

    private static IArrowArray List(string path, ListSchema schema, IList values, long[] ids, int[] rows)
    {
        var type = ArrowSchemas.ToArrowType(schema);
        var n = values.Count;
        var fixedSize = schema.FixedSize;
        var validity = new ArrowBuffer.BitmapBuilder(n);
        var offsets = new ArrowBuffer.Builder<int>(n + 1).Append(0);
        var nulls = 0;
        var childPath = path + "[]";
        ArrayData child;
        if (schema.Element is ScalarSchema { Kind: ScalarKind.Float32 } && AllFloatArraysOrNull(values))
        {
            // Fast path (embeddings): float[] per row.
            var total = 0;
            for (var i = 0; i < n; i++)
            {
                total += values[i] is float[] f ? f.Length : fixedSize ?? 0;
            }
            var flat = new float[total];
            var at = 0;
            for (var i = 0; i < n; i++)
            {
                if (values[i] is float[] f)
                {
                    if (fixedSize is { } size && f.Length != size)
                    {
                        throw new RowValidationException(ids[rows[i]], path, $"expected {size} values ({schema.Describe()}), got {f.Length}");
                    }
                    f.CopyTo(flat, at);
                    at += f.Length;
                    validity.Append(true);
                }
                else
                {
                    RequireNullable(path, schema, ids[rows[i]]);
                    at += fixedSize ?? 0;
                    validity.Append(false);
                    nulls++;
                }
                offsets.Append(at);
            }
            child = Dense(ArrowSchemas.ToArrowType(schema.Element), flat).Data;
        }
        else
        {
            var items = new List<object?>();
            var itemRows = new List<int>();
            for (var i = 0; i < n; i++)
            {
                var v = values[i];
                if (v is null || ReferenceEquals(v, Filler))
                {
                    if (v is null)
                    {
                        RequireNullable(path, schema, ids[rows[i]]);
                    }
                    for (var k = 0; k < (fixedSize ?? 0); k++)
                    {
                        items.Add(Filler);
                        itemRows.Add(rows[i]);
                    }
                    validity.Append(v is not null);
                    nulls += v is null ? 1 : 0;
                    offsets.Append(items.Count);
                    continue;
                }
                if (v is string || v is not IEnumerable enumerable)
                {
                    throw Mismatch(path, schema, v, ids[rows[i]], null);
                }
                var start = items.Count;
                foreach (var item in enumerable)
                {
                    items.Add(item);
                    itemRows.Add(rows[i]);
                }
                if (fixedSize is { } size && items.Count - start != size)
                {
                    throw new RowValidationException(ids[rows[i]], path, $"expected {size} values ({schema.Describe()}), got {items.Count - start}");
                }
                validity.Append(true);
                offsets.Append(items.Count);
            }
            child = Build(childPath, schema.Element, items, ids, [.. itemRows]).Data;
        }
        var validityBuffer = nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance);
        var data = fixedSize is null
            ? new ArrayData(type, n, nulls, 0, [validityBuffer, offsets.Build(ManagedMemoryAllocator.Instance)], [child])
            : new ArrayData(type, n, nulls, 0, [validityBuffer], [child]);
        return ArrowArrayFactory.BuildArray(data);
    }

    private static bool AllFloatArraysOrNull(IList values)
    {
        if (values is float[][])
        {
            return true;
        }
        foreach (var v in values)
        {
            if (v is not (null or float[]))
            {
                return false;
            }
        }
        return true;
    }

    private static IArrowArray Struct(string path, StructSchema schema, IList values, long[] ids, int[] rows)
    {
        var type = ArrowSchemas.ToArrowType(schema);
        var n = values.Count;
        var validity = new ArrowBuffer.BitmapBuilder(n);
        var nulls = 0;
        var fields = schema.Fields.Select(_ => new object?[n]).ToArray();
        for (var i = 0; i < n; i++)
        {
            var v = values[i];
            if (v is null || ReferenceEquals(v, Filler))
            {
                if (v is null)
                {
                    RequireNullable(path, schema, ids[rows[i]]);
                    nulls++;
                }
                validity.Append(v is not null);
                foreach (var f in fields)
                {
                    f[i] = Filler;
                }
                continue;
            }
            IReadOnlyDictionary<string, object?> row;
            try
            {
                row = RowValues.AsStruct(v, path);
            }
            catch (FormatException e)
            {
                throw Mismatch(path, schema, v, ids[rows[i]], e);
            }
            foreach (var key in row.Keys)
            {
                if (schema.Field(key) is null)
                {
                    throw new RowValidationException(ids[rows[i]], path, $"no field '{key}' in {schema.Describe()}");
                }
            }
            for (var k = 0; k < fields.Length; k++)
            {
                fields[k][i] = row.TryGetValue(schema.Fields[k].Name, out var fv) ? fv : null;
            }
            validity.Append(true);
        }
        var children = schema.Fields.Select((f, k) => Build($"{path}.{f.Name}", f.Schema, fields[k], ids, rows).Data).ToArray();
        return ArrowArrayFactory.BuildArray(new ArrayData(type, n, nulls, 0, [nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance)], children));
    }

    private static void RequireNullable(string path, ColumnSchema schema, long id)
    {
        if (!schema.Nullable)
        {
            throw new RowValidationException(id, path, $"no value (expected {schema.Describe()}, which is not nullable)");
        }
    }

    private static RowValidationException Mismatch(string path, ColumnSchema schema, object value, long id, Exception? inner) =>
        new(id, path, $"expected {schema.Describe()}, got {RowValues.Describe(value)}{(inner is OverflowException ? " (out of range)" : "")}");

    private static double ToDouble(object v) => v switch
    {
        float f => f,
        double d => d,
        bool or string => throw new InvalidCastException(),
        IConvertible c => c.ToDouble(CultureInfo.InvariantCulture),
        _ => throw new InvalidCastException(),
    };

    private static long ToInt64(object v) => v switch
    {
        int i => i,
        long l => l,
        float or double or decimal => Convert.ToDouble(v, CultureInfo.InvariantCulture) is var d && d == Math.Floor(d) && !double.IsInfinity(d)
            ? checked((long)d)
            : throw new InvalidCastException(),
        bool or string => throw new InvalidCastException(),
        IConvertible c => c.ToInt64(CultureInfo.InvariantCulture),
        _ => throw new InvalidCastException(),
    };

    private static long ToMicros(object v) => v switch
    {
        DateTimeOffset d => (d.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10,
        DateTime d => (new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10,
        _ => throw new InvalidCastException(),
    };
}
