using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using nietras.SeparatedValues;
using Tlc.Schemas;
using Tlc.Tables.Arrow;

namespace Tlc.Tables.Import;

/// <summary>
/// Parses the text fields of one column (CSV) straight into Arrow buffers of the column's type, one record batch at a
/// time: no value is boxed. A field that does not parse returns false; <see cref="Problem"/> then says why.
/// </summary>
internal abstract class TextColumn
{
    protected TextColumn(ColumnSchema schema)
    {
        Schema = schema;
        ArrowType = ArrowSchemas.ToArrowType(schema);
    }

    public ColumnSchema Schema { get; }

    public IArrowType ArrowType { get; }

    /// <summary>Values appended since the last <see cref="Build"/>.</summary>
    public int Length { get; protected set; }

    protected NullBitmap Nulls { get; } = new();

    /// <summary>Appends the value of a non-empty field; false when the text is not a value of the column.</summary>
    public abstract bool TryAppend(ReadOnlySpan<char> span);

    /// <summary>Appends a null.</summary>
    public void AppendNull()
    {
        Nulls.MarkNull(Length);
        AppendEmptySlot();
        Length++;
    }

    protected abstract void AppendEmptySlot();

    /// <summary>
    /// Builds the array of everything appended and starts over. Buffers the array is built on are rented: they go to
    /// <paramref name="buffers"/>, which hands them back once the batch is written.
    /// </summary>
    public abstract IArrowArray Build(BatchBuffers buffers);

    /// <summary>Hands back the rented buffers of the batch being appended (the column is not used afterwards).</summary>
    public virtual void Release()
    {
    }

    /// <summary>Why <paramref name="text"/> was refused by the last <see cref="TryAppend"/>.</summary>
    public virtual string Problem(ReadOnlySpan<char> text) => $"{ImportInput.Quote(text)} is not {Article(Schema.Describe())} {Schema.Describe()}";

    protected static string Article(string noun) => noun.Length > 0 && "aeio".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";

    protected void MarkValid()
    {
        Nulls.MarkValid();
        Length++;
    }

    /// <summary>
    /// The text column storing <paramref name="schema"/>: typed parsers for scalars, JSON text for lists and structs.
    /// <paramref name="rows"/> is the expected number of rows per batch (the size of the first buffers).
    /// </summary>
    public static TextColumn Create(ColumnSchema schema, int rows) => schema switch
    {
        ScalarSchema { ValueMap.Count: > 0 } s when s.Kind.IsInteger() => s.Kind switch
        {
            ScalarKind.Int8 => new ValueMapTextColumn<sbyte>(s, rows),
            ScalarKind.Int16 => new ValueMapTextColumn<short>(s, rows),
            ScalarKind.Int32 => new ValueMapTextColumn<int>(s, rows),
            ScalarKind.Int64 => new ValueMapTextColumn<long>(s, rows),
            ScalarKind.UInt8 => new ValueMapTextColumn<byte>(s, rows),
            ScalarKind.UInt16 => new ValueMapTextColumn<ushort>(s, rows),
            ScalarKind.UInt32 => new ValueMapTextColumn<uint>(s, rows),
            _ => new ValueMapTextColumn<ulong>(s, rows),
        },
        ScalarSchema s => s.Kind switch
        {
            ScalarKind.Bool => new BoolTextColumn(s),
            ScalarKind.Int8 => new IntegerTextColumn<sbyte>(s, rows),
            ScalarKind.Int16 => new IntegerTextColumn<short>(s, rows),
            ScalarKind.Int32 => new IntegerTextColumn<int>(s, rows),
            ScalarKind.Int64 => new IntegerTextColumn<long>(s, rows),
            ScalarKind.UInt8 => new IntegerTextColumn<byte>(s, rows),
            ScalarKind.UInt16 => new IntegerTextColumn<ushort>(s, rows),
            ScalarKind.UInt32 => new IntegerTextColumn<uint>(s, rows),
            ScalarKind.UInt64 => new IntegerTextColumn<ulong>(s, rows),
            ScalarKind.Float32 => new FloatTextColumn<float>(s, rows),
            ScalarKind.Float64 => new FloatTextColumn<double>(s, rows),
            ScalarKind.String => new StringTextColumn(s, rows),
            ScalarKind.Binary => new Base64TextColumn(s, rows),
            ScalarKind.Timestamp => new TimestampTextColumn(s, rows),
            _ => throw new NotSupportedException($"Scalar kind {s.Kind} cannot be read from text."),
        },
        _ => new JsonTextColumn(schema),
    };
}

/// <summary>A validity bitmap made only once the first null arrives (columns without nulls store none).</summary>
internal sealed class NullBitmap
{
    private ArrowBuffer.BitmapBuilder? _bits;

    public int NullCount { get; private set; }

    public void MarkValid() => _bits?.Append(true);

    /// <summary>Marks slot <paramref name="index"/> (the current length) null.</summary>
    public void MarkNull(int index)
    {
        if (_bits is null)
        {
            _bits = new ArrowBuffer.BitmapBuilder(Math.Max(64, index * 2));
            _bits.AppendRange(true, index);
        }
        _bits.Append(false);
        NullCount++;
    }

    public (ArrowBuffer Validity, int NullCount) Take()
    {
        var result = (_bits is null || NullCount == 0 ? ArrowBuffer.Empty : _bits.Build(), NullCount);
        _bits = null;
        NullCount = 0;
        return result;
    }
}

/// <summary>Fixed-width values written straight into a rented buffer that becomes the array's value buffer.</summary>
internal abstract class FixedWidthTextColumn<T>(ColumnSchema schema, int rows) : TextColumn(schema) where T : unmanaged
{
    private static readonly int Width = Unsafe.SizeOf<T>();
    private readonly int _rows = Math.Max(1024, rows);
    private byte[] _values = BatchBuffers.Rent(Math.Max(1024, rows) * Unsafe.SizeOf<T>());

    protected void Add(T value)
    {
        Put(value);
        MarkValid();
    }

    protected override void AppendEmptySlot() => Put(default);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Put(T value)
    {
        var at = Length * Width;
        if (at + Width > _values.Length)
        {
            Grow();
        }
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_values), at), value);
    }

    private void Grow()
    {
        var larger = BatchBuffers.Rent(_values.Length * 2);
        _values.AsSpan(0, Length * Width).CopyTo(larger);
        BatchBuffers.Return(_values);
        _values = larger;
    }

    public override void Release()
    {
        BatchBuffers.Return(_values);
        _values = [];
    }

    public override IArrowArray Build(BatchBuffers buffers)
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var values = new ArrowBuffer(_values.AsMemory(0, length * Width));
        buffers.Take(_values);
        _values = BatchBuffers.Rent(Math.Max(_rows, length) * Width);
        Length = 0;
        return ArrowArrayFactory.BuildArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }
}

internal sealed class IntegerTextColumn<T>(ScalarSchema schema, int rows) : FixedWidthTextColumn<T>(schema, rows)
    where T : unmanaged, IBinaryInteger<T>
{
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        if (!T.TryParse(span, TextValues.IntegerStyles, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }
        Add(value);
        return true;
    }

    public override string Problem(ReadOnlySpan<char> text) => TextValues.IsIntegerText(text)
        ? $"{ImportInput.Quote(text)} does not fit in {Schema.Describe()}"
        : base.Problem(text);
}

internal sealed class ValueMapTextColumn<T> : FixedWidthTextColumn<T> where T : unmanaged, IBinaryInteger<T>
{
    private readonly Dictionary<string, T>.AlternateLookup<ReadOnlySpan<char>> _names;
    private readonly ValueMap _map;

    public ValueMapTextColumn(ScalarSchema schema, int rows) : base(schema, rows)
    {
        _map = schema.ValueMap!;
        var names = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (value, element) in _map)
        {
            T stored;
            try
            {
                stored = T.CreateChecked(value);
            }
            catch (OverflowException)
            {
                throw new ArgumentException($"The value map of {schema.Describe()} has the value {value}, which does not fit the column.");
            }
            names.TryAdd(element.InternalName, stored);
        }
        _names = names.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>A class name maps to its value; an integer text is taken as the value itself (checked against the map on write).</summary>
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        if (_names.TryGetValue(span, out var value)
            || T.TryParse(span, TextValues.IntegerStyles, CultureInfo.InvariantCulture, out value))
        {
            Add(value);
            return true;
        }
        return false;
    }

    public override string Problem(ReadOnlySpan<char> text) =>
        $"{ImportInput.Quote(text)} is not a class of {Schema.Describe()} (classes: {string.Join(", ", _map.Names.Take(20))}{(_map.Count > 20 ? ", …" : "")})";
}

internal sealed class FloatTextColumn<T>(ScalarSchema schema, int rows) : FixedWidthTextColumn<T>(schema, rows)
    where T : unmanaged, IFloatingPoint<T>
{
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        if (!TextValues.TryParseFloat(span, out T value))
        {
            return false;
        }
        Add(value);
        return true;
    }
}

internal sealed class TimestampTextColumn(ScalarSchema schema, int rows) : FixedWidthTextColumn<long>(schema, rows)
{
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        if (!DateTimeOffset.TryParse(span, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
        {
            return false;
        }
        Add((value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        return true;
    }

    public override string Problem(ReadOnlySpan<char> text) => $"{ImportInput.Quote(text)} is not a timestamp (ISO 8601, e.g. 2024-05-01T12:00:00Z)";
}

/// <summary>Booleans: "true"/"false" in any letter case, and "1"/"0".</summary>
internal sealed class BoolTextColumn(ScalarSchema schema) : TextColumn(schema)
{
    private ArrowBuffer.BitmapBuilder _values = new(1024);

    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        bool value;
        if (span is "1")
        {
            value = true;
        }
        else if (span is "0")
        {
            value = false;
        }
        else if (!TextValues.TryParseBool(span, out value))
        {
            return false;
        }
        _values.Append(value);
        MarkValid();
        return true;
    }

    protected override void AppendEmptySlot() => _values.Append(false);

    public override IArrowArray Build(BatchBuffers buffers)
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var values = _values.Build();
        _values = new ArrowBuffer.BitmapBuilder(Math.Max(1024, length));
        Length = 0;
        return new BooleanArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }
}

/// <summary>Variable-length values: int32 offsets into one data buffer per batch, both rented.</summary>
internal abstract class VariableTextColumn : TextColumn
{
    private readonly int _rows;
    private byte[] _offsets;
    private byte[] _data;
    private int _used;

    protected VariableTextColumn(ColumnSchema schema, int rows)
        : base(schema)
    {
        _rows = Math.Max(1024, rows);
        _offsets = BatchBuffers.Rent((_rows + 1) * sizeof(int));
        _data = BatchBuffers.Rent(1 << 16);
        StartOffsets();
    }

    /// <summary>Room for <paramref name="bytes"/> more bytes, for the caller to fill and then <see cref="Commit"/>.</summary>
    protected Span<byte> Reserve(int bytes)
    {
        if (_data.Length - _used < bytes)
        {
            var size = Math.Max((long)_data.Length * 2, (long)_used + bytes);
            if (size > System.Array.MaxLength)
            {
                throw new InvalidOperationException("More than 2 GiB of text in one record batch; lower BatchRows.");
            }
            var larger = BatchBuffers.Rent((int)size);
            _data.AsSpan(0, _used).CopyTo(larger);
            BatchBuffers.Return(_data);
            _data = larger;
        }
        return _data.AsSpan(_used);
    }

    protected void Commit(int bytes)
    {
        _used += bytes;
        PutOffset(_used);
        MarkValid();
    }

    protected override void AppendEmptySlot() => PutOffset(_used);

    /// <summary>Writes the end offset of slot <see cref="TextColumn.Length"/> (the offset at index Length + 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PutOffset(int offset)
    {
        var at = (Length + 1) * sizeof(int);
        if (at + sizeof(int) > _offsets.Length)
        {
            var larger = BatchBuffers.Rent(_offsets.Length * 2);
            _offsets.AsSpan(0, at).CopyTo(larger);
            BatchBuffers.Return(_offsets);
            _offsets = larger;
        }
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_offsets), at), offset);
    }

    public override void Release()
    {
        BatchBuffers.Return(_offsets);
        BatchBuffers.Return(_data);
        (_offsets, _data) = ([], []);
    }

    /// <summary>The first offset of a batch: 0.</summary>
    private void StartOffsets() => Unsafe.WriteUnaligned(ref MemoryMarshal.GetArrayDataReference(_offsets), 0);

    public override IArrowArray Build(BatchBuffers buffers)
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var offsets = new ArrowBuffer(_offsets.AsMemory(0, (length + 1) * sizeof(int)));
        var data = new ArrowBuffer(_data.AsMemory(0, _used));
        buffers.Take(_offsets);
        buffers.Take(_data);
        _offsets = BatchBuffers.Rent((Math.Max(_rows, length) + 1) * sizeof(int));
        _data = BatchBuffers.Rent(Math.Max(1 << 16, _used + (_used / 4)));
        _used = 0;
        Length = 0;
        StartOffsets();
        return ArrowArrayFactory.BuildArray(new ArrayData(ArrowType, length, nulls, 0, [validity, offsets, data]));
    }
}

internal sealed class StringTextColumn(ScalarSchema schema, int rows) : VariableTextColumn(schema, rows)
{
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        var target = Reserve(Encoding.UTF8.GetMaxByteCount(span.Length));
        Commit(Encoding.UTF8.GetBytes(span, target));
        return true;
    }
}

/// <summary>Bytes written as base64 text.</summary>
internal sealed class Base64TextColumn(ScalarSchema schema, int rows) : VariableTextColumn(schema, rows)
{
    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        var target = Reserve(((span.Length + 3) / 4) * 3);
        if (!Convert.TryFromBase64Chars(span, target, out var written))
        {
            return false;
        }
        Commit(written);
        return true;
    }

    public override string Problem(ReadOnlySpan<char> text) => $"{ImportInput.Quote(text)} is not base64 bytes";
}

/// <summary>Lists and structs written as JSON text (e.g. <c>[0.1, 0.2]</c>), converted like any row value.</summary>
internal sealed class JsonTextColumn(ColumnSchema schema) : TextColumn(schema)
{
    private readonly ColumnBuilder _builder = ColumnBuilder.Create(schema, "value");
    private string? _problem;

    public override bool TryAppend(ReadOnlySpan<char> span)
    {
        try
        {
            using var document = JsonDocument.Parse(span.ToString());
            _builder.Append(document.RootElement, Length);
        }
        catch (JsonException e)
        {
            _problem = $"{ImportInput.Quote(span)} is not JSON text of {Schema.Describe()} ({e.Message})";
            return false;
        }
        catch (RowValidationException e)
        {
            _problem = e.Column == "value" ? e.Problem : $"{e.Column["value".Length..]}: {e.Problem}";
            return false;
        }
        MarkValid();
        return true;
    }

    protected override void AppendEmptySlot() => _builder.AppendNull();

    public override IArrowArray Build(BatchBuffers buffers)
    {
        Nulls.Take();
        Length = 0;
        return _builder.Build();
    }

    public override string Problem(ReadOnlySpan<char> text) => _problem ?? base.Problem(text);
}
