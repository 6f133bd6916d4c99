using System.Globalization;
using System.Numerics;
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
    public abstract bool TryAppend(SepReader.Col col);

    /// <summary>Appends a null.</summary>
    public void AppendNull()
    {
        Nulls.MarkNull(Length);
        AppendEmptySlot();
        Length++;
    }

    protected abstract void AppendEmptySlot();

    /// <summary>Builds the array of everything appended and starts over.</summary>
    public abstract IArrowArray Build();

    /// <summary>Why <paramref name="text"/> was refused by the last <see cref="TryAppend"/>.</summary>
    public virtual string Problem(ReadOnlySpan<char> text) => $"{ImportInput.Quote(text)} is not {Article(Schema.Describe())} {Schema.Describe()}";

    protected static string Article(string noun) => noun.Length > 0 && "aeio".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";

    protected void MarkValid()
    {
        Nulls.MarkValid();
        Length++;
    }

    /// <summary>The text column storing <paramref name="schema"/>: typed parsers for scalars, JSON text for lists and structs.</summary>
    public static TextColumn Create(ColumnSchema schema) => schema switch
    {
        ScalarSchema { ValueMap.Count: > 0 } s when s.Kind.IsInteger() => s.Kind switch
        {
            ScalarKind.Int8 => new ValueMapTextColumn<sbyte>(s),
            ScalarKind.Int16 => new ValueMapTextColumn<short>(s),
            ScalarKind.Int32 => new ValueMapTextColumn<int>(s),
            ScalarKind.Int64 => new ValueMapTextColumn<long>(s),
            ScalarKind.UInt8 => new ValueMapTextColumn<byte>(s),
            ScalarKind.UInt16 => new ValueMapTextColumn<ushort>(s),
            ScalarKind.UInt32 => new ValueMapTextColumn<uint>(s),
            _ => new ValueMapTextColumn<ulong>(s),
        },
        ScalarSchema s => s.Kind switch
        {
            ScalarKind.Bool => new BoolTextColumn(s),
            ScalarKind.Int8 => new IntegerTextColumn<sbyte>(s),
            ScalarKind.Int16 => new IntegerTextColumn<short>(s),
            ScalarKind.Int32 => new IntegerTextColumn<int>(s),
            ScalarKind.Int64 => new IntegerTextColumn<long>(s),
            ScalarKind.UInt8 => new IntegerTextColumn<byte>(s),
            ScalarKind.UInt16 => new IntegerTextColumn<ushort>(s),
            ScalarKind.UInt32 => new IntegerTextColumn<uint>(s),
            ScalarKind.UInt64 => new IntegerTextColumn<ulong>(s),
            ScalarKind.Float32 => new FloatTextColumn<float>(s),
            ScalarKind.Float64 => new FloatTextColumn<double>(s),
            ScalarKind.String => new StringTextColumn(s),
            ScalarKind.Binary => new Base64TextColumn(s),
            ScalarKind.Timestamp => new TimestampTextColumn(s),
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

internal abstract class FixedWidthTextColumn<T>(ColumnSchema schema) : TextColumn(schema) where T : unmanaged
{
    private ArrowBuffer.Builder<T> _values = new(1024);

    protected void Add(T value)
    {
        _values.Append(value);
        MarkValid();
    }

    protected override void AppendEmptySlot() => _values.Append(default(T));

    public override IArrowArray Build()
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var values = _values.Build();
        _values = new ArrowBuffer.Builder<T>(Math.Max(1024, length));
        Length = 0;
        return ArrowArrayFactory.BuildArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }
}

internal sealed class IntegerTextColumn<T>(ScalarSchema schema) : FixedWidthTextColumn<T>(schema)
    where T : unmanaged, IBinaryInteger<T>
{
    public override bool TryAppend(SepReader.Col col)
    {
        if (!T.TryParse(col.Span, TextValues.IntegerStyles, CultureInfo.InvariantCulture, out var value))
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

    public ValueMapTextColumn(ScalarSchema schema) : base(schema)
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
    public override bool TryAppend(SepReader.Col col)
    {
        var span = col.Span;
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

internal sealed class FloatTextColumn<T>(ScalarSchema schema) : FixedWidthTextColumn<T>(schema)
    where T : unmanaged, IFloatingPoint<T>, ISpanParsable<T>
{
    public override bool TryAppend(SepReader.Col col)
    {
        if (!TextValues.TryParseFloat(col, out T value))
        {
            return false;
        }
        Add(value);
        return true;
    }
}

internal sealed class TimestampTextColumn(ScalarSchema schema) : FixedWidthTextColumn<long>(schema)
{
    public override bool TryAppend(SepReader.Col col)
    {
        if (!DateTimeOffset.TryParse(col.Span, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
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

    public override bool TryAppend(SepReader.Col col)
    {
        var span = col.Span;
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

    public override IArrowArray Build()
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var values = _values.Build();
        _values = new ArrowBuffer.BitmapBuilder(Math.Max(1024, length));
        Length = 0;
        return new BooleanArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }
}

/// <summary>Variable-length values: int32 offsets into one data buffer per batch.</summary>
internal abstract class VariableTextColumn(ColumnSchema schema) : TextColumn(schema)
{
    private ArrowBuffer.Builder<int> _offsets = new ArrowBuffer.Builder<int>(1024).Append(0);
    private byte[] _data = new byte[1 << 16];
    private int _used;

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
            System.Array.Resize(ref _data, (int)size);
        }
        return _data.AsSpan(_used);
    }

    protected void Commit(int bytes)
    {
        _used += bytes;
        _offsets.Append(_used);
        MarkValid();
    }

    protected override void AppendEmptySlot() => _offsets.Append(_used);

    public override IArrowArray Build()
    {
        var length = Length;
        var (validity, nulls) = Nulls.Take();
        var data = new ArrowBuffer(_data.AsMemory(0, _used));
        var offsets = _offsets.Build();
        _data = new byte[Math.Max(1 << 16, _used + (_used / 4))];
        _used = 0;
        _offsets = new ArrowBuffer.Builder<int>(Math.Max(1024, length + 1)).Append(0);
        Length = 0;
        return ArrowArrayFactory.BuildArray(new ArrayData(ArrowType, length, nulls, 0, [validity, offsets, data]));
    }
}

internal sealed class StringTextColumn(ScalarSchema schema) : VariableTextColumn(schema)
{
    public override bool TryAppend(SepReader.Col col)
    {
        var span = col.Span;
        var target = Reserve(Encoding.UTF8.GetMaxByteCount(span.Length));
        Commit(Encoding.UTF8.GetBytes(span, target));
        return true;
    }
}

/// <summary>Bytes written as base64 text.</summary>
internal sealed class Base64TextColumn(ScalarSchema schema) : VariableTextColumn(schema)
{
    public override bool TryAppend(SepReader.Col col)
    {
        var span = col.Span;
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

    public override bool TryAppend(SepReader.Col col)
    {
        try
        {
            using var document = JsonDocument.Parse(col.ToString());
            _builder.Append(document.RootElement, Length);
        }
        catch (JsonException e)
        {
            _problem = $"{ImportInput.Quote(col.Span)} is not JSON text of {Schema.Describe()} ({e.Message})";
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

    public override IArrowArray Build()
    {
        Nulls.Take();
        Length = 0;
        return _builder.Build();
    }

    public override string Problem(ReadOnlySpan<char> text) => _problem ?? base.Problem(text);
}
