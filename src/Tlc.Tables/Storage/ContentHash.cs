using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using Apache.Arrow;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Storage;

/// <summary>
/// The logical content hash of a table: rows in order, each column's canonical values (with the column names and
/// stored types), independent of chunking, batch sizes, timestamps and ids. Two tables with the same hash hold the same
/// data.
/// </summary>
public static class ContentHash
{
    /// <summary>Computes the hash (32 hex digits, XxHash128).</summary>
    public static string Compute(Table table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var names = table.Schema.Names;
        var hashers = names.Select(_ => new XxHash128()).ToArray();
        var nullable = names.Select(n => table.Schema[n].Nullable).ToArray();
        foreach (var batch in table.ScanBatches(cancellationToken))
        {
            for (var c = 0; c < names.Count; c++)
            {
                Feed(hashers[c], batch.Column(c), nullable[c]);
            }
        }
        var total = new XxHash128();
        for (var c = 0; c < names.Count; c++)
        {
            total.Append(Encoding.UTF8.GetBytes($"{names[c]}:{ArrowSchemas.Describe(ArrowSchemas.ToArrowType(table.Schema[names[c]]))};"));
            total.Append(hashers[c].GetCurrentHash());
        }
        Span<byte> length = stackalloc byte[8];
        BitConverter.TryWriteBytes(length, table.RowCount);
        total.Append(length);
        return Convert.ToHexStringLower(total.GetCurrentHash());
    }

    private static void Feed(XxHash128 hasher, IArrowArray array, bool nullable)
    {
        if (!nullable && array.NullCount == 0)
        {
            switch (array)
            {
                case Int32Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case Int64Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case FloatArray a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case DoubleArray a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case Int16Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case Int8Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case UInt8Array a: hasher.Append(a.Values); return;
                case UInt16Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case UInt32Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
                case UInt64Array a: hasher.Append(MemoryMarshal.AsBytes(a.Values)); return;
            }
        }
        Span<byte> scratch = stackalloc byte[9];
        for (var i = 0; i < array.Length; i++)
        {
            var isNull = array.IsNull(i);
            if (nullable || isNull)
            {
                scratch[0] = isNull ? (byte)0 : (byte)1;
                hasher.Append(scratch[..1]);
            }
            if (isNull)
            {
                continue;
            }
            switch (array)
            {
                case StringArray s:
                    var bytes = s.GetBytes(i);
                    BitConverter.TryWriteBytes(scratch, bytes.Length);
                    hasher.Append(scratch[..4]);
                    hasher.Append(bytes);
                    break;
                case BinaryArray b:
                    var raw = b.GetBytes(i);
                    BitConverter.TryWriteBytes(scratch, raw.Length);
                    hasher.Append(scratch[..4]);
                    hasher.Append(raw);
                    break;
                default:
                    FeedValue(hasher, ArrowValues.GetValue(array, i));
                    break;
            }
        }
    }

    private static void FeedValue(XxHash128 hasher, object? value)
    {
        switch (value)
        {
            case null:
                hasher.Append([0]);
                break;
            case string s:
                hasher.Append([1]);
                hasher.Append(Encoding.UTF8.GetBytes(s));
                hasher.Append([0xff]);
                break;
            case StructValue st:
                hasher.Append([2]);
                foreach (var (_, v) in st)
                {
                    FeedValue(hasher, v);
                }
                break;
            case float[] f:
                hasher.Append([3]);
                hasher.Append(BitConverter.GetBytes(f.Length));
                hasher.Append(MemoryMarshal.AsBytes(f.AsSpan()));
                break;
            case System.Collections.IEnumerable e and not byte[]:
                hasher.Append([4]);
                var n = 0;
                foreach (var item in e)
                {
                    FeedValue(hasher, item);
                    n++;
                }
                hasher.Append(BitConverter.GetBytes(n));
                break;
            case byte[] b:
                hasher.Append([5]);
                hasher.Append(BitConverter.GetBytes(b.Length));
                hasher.Append(b);
                break;
            case bool b:
                hasher.Append([b ? (byte)7 : (byte)6]);
                break;
            case DateTimeOffset d:
                hasher.Append([8]);
                hasher.Append(BitConverter.GetBytes(d.UtcTicks));
                break;
            case long l:
                hasher.Append([10]);
                hasher.Append(BitConverter.GetBytes(l));
                break;
            case IConvertible c:
                hasher.Append([9]);
                hasher.Append(BitConverter.GetBytes(c.ToDouble(System.Globalization.CultureInfo.InvariantCulture)));
                break;
            default:
                throw new NotSupportedException($"Cannot hash a {value.GetType().Name}.");
        }
    }
}
