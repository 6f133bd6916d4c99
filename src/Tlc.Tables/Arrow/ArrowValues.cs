using Apache.Arrow;
using Apache.Arrow.Types;

namespace Tlc.Tables.Arrow;

/// <summary>
/// Reads single values out of Arrow arrays as plain .NET values: numbers, bool, string, <c>byte[]</c>,
/// <see cref="DateTimeOffset"/>, typed arrays for lists of numbers (<c>float[]</c>, <c>int[]</c>, ...), <c>object?[]</c> for other
/// lists and <see cref="StructValue"/> for structs.
/// </summary>
public static class ArrowValues
{
    /// <summary>The value at <paramref name="index"/>, or null.</summary>
    public static object? GetValue(IArrowArray array, int index)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (array.IsNull(index))
        {
            return null;
        }
        return array switch
        {
            BooleanArray a => a.GetValue(index),
            Int8Array a => a.Values[index],
            Int16Array a => a.Values[index],
            Int32Array a => a.Values[index],
            Int64Array a => a.Values[index],
            UInt8Array a => a.Values[index],
            UInt16Array a => a.Values[index],
            UInt32Array a => a.Values[index],
            UInt64Array a => a.Values[index],
            FloatArray a => a.Values[index],
            DoubleArray a => a.Values[index],
            HalfFloatArray a => (float)a.Values[index],
            StringArray a => a.GetString(index),
            LargeStringArray a => a.GetString(index),
            StringViewArray a => a.GetString(index),
            BinaryArray a => a.GetBytes(index).ToArray(),
            TimestampArray a => a.GetTimestamp(index),
            Date32Array a => a.GetDateTimeOffset(index),
            Date64Array a => a.GetDateTimeOffset(index),
            DictionaryArray a => GetValue(a.Dictionary, GetDictionaryIndex(a.Indices, index)),
            ListArray a => ListValue(a.Values, a.ValueOffsets[index], a.ValueOffsets[index + 1] - a.ValueOffsets[index]),
            LargeListArray a => ListValue(a.Values, (int)a.ValueOffsets[index], (int)(a.ValueOffsets[index + 1] - a.ValueOffsets[index])),
            FixedSizeListArray a => ListValue(a.Values, (a.Offset + index) * ((FixedSizeListType)a.Data.DataType).ListSize,
                ((FixedSizeListType)a.Data.DataType).ListSize),
            StructArray a => new StructValue(a, index),
            NullArray => null,
            _ => throw new NotSupportedException($"Reading Arrow type {ArrowSchemas.Describe(array.Data.DataType)} is not supported."),
        };
    }

    /// <summary>The dictionary index at <paramref name="index"/> of a dictionary array's indices, whatever their integer type.</summary>
    internal static int GetDictionaryIndex(IArrowArray indices, int index) => indices switch
    {
        Int8Array a => a.Values[index],
        Int16Array a => a.Values[index],
        Int32Array a => a.Values[index],
        Int64Array a => checked((int)a.Values[index]),
        UInt8Array a => a.Values[index],
        UInt16Array a => a.Values[index],
        UInt32Array a => checked((int)a.Values[index]),
        UInt64Array a => checked((int)a.Values[index]),
        _ => throw new NotSupportedException($"Dictionary indices of type {indices.Data.DataType.Name} are not supported."),
    };

    /// <summary>A slice of a list's child array as a typed array where the element type is a number, else <c>object?[]</c>.</summary>
    private static object ListValue(IArrowArray values, int start, int count)
    {
        // Only the slice counts: a null list elsewhere (whose slots a fixed-size list fills with nulls) must not turn every
        // other row's value into object?[].
        if (values.NullCount == 0 || !HasNull(values, start, count))
        {
            switch (values)
            {
                case FloatArray f: return f.Values.Slice(start, count).ToArray();
                case DoubleArray d: return d.Values.Slice(start, count).ToArray();
                case Int32Array i: return i.Values.Slice(start, count).ToArray();
                case Int64Array l: return l.Values.Slice(start, count).ToArray();
                case Int8Array b: return b.Values.Slice(start, count).ToArray();
                case UInt8Array u: return u.Values.Slice(start, count).ToArray();
                case Int16Array s: return s.Values.Slice(start, count).ToArray();
            }
        }
        var result = new object?[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = GetValue(values, start + i);
        }
        return result;
    }

    private static bool HasNull(IArrowArray values, int start, int count)
    {
        for (var i = start; i < start + count; i++)
        {
            if (values.IsNull(i))
            {
                return true;
            }
        }
        return false;
    }
}
