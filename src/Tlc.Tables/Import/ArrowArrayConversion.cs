using System.Runtime.InteropServices;
using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Import;

/// <summary>
/// Turns an Arrow array read from a file into an array of the Arrow type a Tlc column stores (see
/// <see cref="ArrowColumnMapping"/>). Arrays with the same layout are re-wrapped without copying values; large strings,
/// timestamps of other units, dates and dictionary-encoded strings are converted buffer-wise; anything else (and any
/// schema override) goes value by value through the writer's validating column builders.
/// </summary>
internal static class ArrowArrayConversion
{
    /// <summary>The array as <paramref name="schema"/> stores it.</summary>
    /// <exception cref="RowValidationException">A value does not fit <paramref name="schema"/>.</exception>
    public static IArrowArray Convert(IArrowArray array, ColumnSchema schema, string column, long firstRow)
    {
        var target = ArrowSchemas.ToArrowType(schema);
        return TryDirect(array, target) ?? ValueByValue(array, schema, column, firstRow);
    }

    private static IArrowArray? TryDirect(IArrowArray array, IArrowType target)
    {
        if (SameLayout(array.Data.DataType, target))
        {
            return ArrowArrayFactory.BuildArray(Rewrap(array.Data, target));
        }
        if (array.Offset != 0)
        {
            return null;
        }
        return (array, target) switch
        {
            (LargeStringArray a, StringType) => NarrowOffsets(a.Data, a.ValueOffsets, target),
            (LargeBinaryArray a, BinaryType) => NarrowOffsets(a.Data, a.ValueOffsets, target),
            (TimestampArray a, TimestampType) => ScaleInt64(a.Data, ((TimestampType)a.Data.DataType).Unit switch
            {
                TimeUnit.Second => 1_000_000L,
                TimeUnit.Millisecond => 1_000L,
                TimeUnit.Microsecond => 1L,
                _ => -1_000L,
            }, target),
            (Date64Array a, TimestampType) => ScaleInt64(a.Data, 1_000L, target),
            (Date32Array a, TimestampType) => Date32(a, target),
            (DictionaryArray a, StringType) when a.Dictionary is StringArray or LargeStringArray => DecodeStrings(a, target),
            _ => null,
        };
    }

    /// <summary>True when both types have identical buffers (names and time zones aside).</summary>
    private static bool SameLayout(IArrowType source, IArrowType target) => (source, target) switch
    {
        (TimestampType s, TimestampType t) => s.Unit == t.Unit,
        (ListType s, ListType t) => SameLayout(s.ValueDataType, t.ValueDataType),
        (FixedSizeListType s, FixedSizeListType t) => s.ListSize == t.ListSize && SameLayout(s.ValueDataType, t.ValueDataType),
        (StructType s, StructType t) => s.Fields.Count == t.Fields.Count
            && s.Fields.Zip(t.Fields).All(p => p.First.Name == p.Second.Name && SameLayout(p.First.DataType, p.Second.DataType)),
        (NestedType, _) or (_, NestedType) or (DictionaryType, _) or (TimestampType, _) => false,
        _ => source.TypeId == target.TypeId && source is not (Decimal128Type or FixedSizeBinaryType),
    };

    private static ArrayData Rewrap(ArrayData data, IArrowType target)
    {
        var children = data.Children;
        if (children is { Length: > 0 })
        {
            children = target switch
            {
                ListType l => [Rewrap(children[0], l.ValueDataType)],
                FixedSizeListType f => [Rewrap(children[0], f.ValueDataType)],
                StructType s => children.Select((c, i) => Rewrap(c, s.Fields[i].DataType)).ToArray(),
                _ => children,
            };
        }
        return new ArrayData(target, data.Length, data.NullCount, data.Offset, data.Buffers, children, data.Dictionary);
    }

    private static IArrowArray? NarrowOffsets(ArrayData data, ReadOnlySpan<long> offsets, IArrowType target)
    {
        var first = offsets[0];
        if (offsets[data.Length] - first > int.MaxValue)
        {
            return null;
        }
        var narrowed = new ArrowBuffer.Builder<int>(data.Length + 1);
        foreach (var offset in offsets[..(data.Length + 1)])
        {
            narrowed.Append((int)(offset - first));
        }
        var values = data.Buffers[2].Memory.Slice((int)first, (int)(offsets[data.Length] - first));
        return ArrowArrayFactory.BuildArray(new ArrayData(target, data.Length, data.NullCount, 0,
            [data.Buffers[0], narrowed.Build(ManagedMemoryAllocator.Instance), new ArrowBuffer(values)]));
    }

    /// <summary>Multiplies int64 values by <paramref name="factor"/>, or divides them by its negation when negative.</summary>
    private static IArrowArray ScaleInt64(ArrayData data, long factor, IArrowType target)
    {
        if (factor == 1)
        {
            return ArrowArrayFactory.BuildArray(Rewrap(data, target));
        }
        var source = MemoryMarshal.Cast<byte, long>(data.Buffers[1].Span)[..data.Length];
        var scaled = new ArrowBuffer.Builder<long>(data.Length);
        foreach (var value in source)
        {
            scaled.Append(factor > 0 ? value * factor : (long)Math.Floor(value / (double)-factor));
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(target, data.Length, data.NullCount, 0, [data.Buffers[0], scaled.Build(ManagedMemoryAllocator.Instance)]));
    }

    private static IArrowArray Date32(Date32Array array, IArrowType target)
    {
        var scaled = new ArrowBuffer.Builder<long>(array.Length);
        foreach (var days in array.Values)
        {
            scaled.Append(days * 86_400_000_000L);
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(target, array.Length, array.NullCount, 0, [array.Data.Buffers[0], scaled.Build(ManagedMemoryAllocator.Instance)]));
    }

    private static IArrowArray DecodeStrings(DictionaryArray array, IArrowType target)
    {
        var dictionary = array.Dictionary;
        var offsets = new ArrowBuffer.Builder<int>(array.Length + 1).Append(0);
        var bytes = new ArrowBuffer.Builder<byte>();
        var validity = new ArrowBuffer.BitmapBuilder(array.Length);
        var nulls = 0;
        for (var i = 0; i < array.Length; i++)
        {
            if (array.IsNull(i))
            {
                nulls++;
                validity.Append(false);
            }
            else
            {
                var index = ArrowValues.GetDictionaryIndex(array.Indices, i);
                bytes.Append(dictionary switch
                {
                    StringArray s => s.GetBytes(index),
                    _ => ((LargeStringArray)dictionary).GetBytes(index),
                });
                validity.Append(true);
            }
            offsets.Append(bytes.Length);
        }
        return ArrowArrayFactory.BuildArray(new ArrayData(target, array.Length, nulls, 0,
            [nulls == 0 ? ArrowBuffer.Empty : validity.Build(ManagedMemoryAllocator.Instance), offsets.Build(ManagedMemoryAllocator.Instance), bytes.Build(ManagedMemoryAllocator.Instance)]));
    }

    private static IArrowArray ValueByValue(IArrowArray array, ColumnSchema schema, string column, long firstRow)
    {
        var builder = ColumnBuilder.Create(schema, column);
        for (var i = 0; i < array.Length; i++)
        {
            builder.Append(Value(array, i), firstRow + i);
        }
        return builder.Build();
    }

    private static object? Value(IArrowArray array, int index)
    {
        if (array.IsNull(index))
        {
            return null;
        }
        return array switch
        {
            Decimal128Array a => (double?)a.GetValue(index),
            LargeBinaryArray a => a.GetBytes(index).ToArray(),
            BinaryViewArray a => a.GetBytes(index).ToArray(),
            Apache.Arrow.Arrays.FixedSizeBinaryArray a => a.GetBytes(index).ToArray(),
            DictionaryArray a => Value(a.Dictionary, ArrowValues.GetDictionaryIndex(a.Indices, index)),
            _ => ArrowValues.GetValue(array, index),
        };
    }
}
