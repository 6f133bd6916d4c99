using Apache.Arrow;

namespace Tlc.Tables.Arrow;

/// <summary>Widening and narrowing of whole numeric Arrow arrays.</summary>
internal static class NumericArrays
{
    /// <summary>The array as float32 (nulls kept), or null when it is not numeric.</summary>
    public static FloatArray? ToFloat(IArrowArray array)
    {
        Func<int, float>? read = array switch
        {
            DoubleArray d => i => (float)d.Values[i],
            Int64Array l => i => l.Values[i],
            Int32Array n => i => n.Values[i],
            Int16Array s => i => s.Values[i],
            Int8Array b => i => b.Values[i],
            UInt8Array u => i => u.Values[i],
            UInt16Array u => i => u.Values[i],
            UInt32Array u => i => u.Values[i],
            HalfFloatArray h => i => (float)h.Values[i],
            _ => null,
        };
        if (read is null)
        {
            return null;
        }
        var builder = new FloatArray.Builder().Reserve(array.Length);
        for (var i = 0; i < array.Length; i++)
        {
            if (array.IsNull(i))
            {
                builder.AppendNull();
            }
            else
            {
                builder.Append(read(i));
            }
        }
        return builder.Build();
    }
}
