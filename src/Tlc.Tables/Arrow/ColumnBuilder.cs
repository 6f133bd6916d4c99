using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Types;
using Tlc.DataTypes;
using Tlc.Schemas;

namespace Tlc.Tables.Arrow;

/// <summary>
/// Appends boxed row values of one column (or nested field) to Arrow buffers, validating each against the schema,
/// and builds an Arrow array. Errors name the row and the field path.
/// </summary>
internal abstract class ColumnBuilder
{
    protected ColumnBuilder(ColumnSchema schema, string path)
    {
        Schema = schema;
        Path = path;
        ArrowType = ArrowSchemas.ToArrowType(schema);
    }

    public ColumnSchema Schema { get; }

    public string Path { get; }

    public IArrowType ArrowType { get; }

    public abstract int Length { get; }

    /// <summary>Approximate bytes held.</summary>
    public abstract long ByteSize { get; }

    /// <summary>Appends a value; null only where the schema is nullable (or <paramref name="parentNull"/>).</summary>
    public void Append(object? value, long row, bool parentNull = false)
    {
        if (parentNull)
        {
            AppendNull();
            return;
        }
        if (ValueConversions.IsNull(value))
        {
            if (!Schema.Nullable)
            {
                throw Error(row, $"a value is required (expected {Schema.Describe()}), got null");
            }
            AppendNull();
            return;
        }
        AppendValue(value!, row);
    }

    protected abstract void AppendValue(object value, long row);

    public abstract void AppendNull();

    /// <summary>Builds the array of everything appended and starts over.</summary>
    public abstract IArrowArray Build();

    protected RowValidationException Error(long row, string problem) => new(row, Path, problem);

    protected RowValidationException Mismatch(long row, object value) =>
        Error(row, $"expected {Schema.Describe()}, got {ValueConversions.Describe(value)}");

    public static ColumnBuilder Create(ColumnSchema schema, string path) => schema switch
    {
        ScalarSchema s => s.Kind switch
        {
            ScalarKind.Bool => new BoolBuilder(s, path),
            ScalarKind.Int8 => new IntegerBuilder<sbyte>(s, path, sbyte.MinValue, sbyte.MaxValue, v => (sbyte)v),
            ScalarKind.Int16 => new IntegerBuilder<short>(s, path, short.MinValue, short.MaxValue, v => (short)v),
            ScalarKind.Int32 => new IntegerBuilder<int>(s, path, int.MinValue, int.MaxValue, v => (int)v),
            ScalarKind.Int64 => new IntegerBuilder<long>(s, path, long.MinValue, long.MaxValue, v => v),
            ScalarKind.UInt8 => new IntegerBuilder<byte>(s, path, 0, byte.MaxValue, v => (byte)v),
            ScalarKind.UInt16 => new IntegerBuilder<ushort>(s, path, 0, ushort.MaxValue, v => (ushort)v),
            ScalarKind.UInt32 => new IntegerBuilder<uint>(s, path, 0, uint.MaxValue, v => (uint)v),
            ScalarKind.UInt64 => new UInt64Builder(s, path),
            ScalarKind.Float32 => new FloatBuilder<float>(s, path, v => (float)v),
            ScalarKind.Float64 => new FloatBuilder<double>(s, path, v => v),
            ScalarKind.String => new StringColumnBuilder(s, path),
            ScalarKind.Binary => new BinaryColumnBuilder(s, path),
            ScalarKind.Timestamp => new TimestampBuilder(s, path),
            _ => throw new NotSupportedException($"Column '{path}': unsupported kind {s.Kind}."),
        },
        ListSchema l => new ListColumnBuilder(l, path),
        StructSchema st => new StructColumnBuilder(st, path),
        _ => throw new NotSupportedException($"Column '{path}': unsupported schema {schema.GetType().Name}."),
    };
}

/// <summary>Shared validity bookkeeping.</summary>
internal abstract class ValidityColumnBuilder(ColumnSchema schema, string path) : ColumnBuilder(schema, path)
{
    protected ArrowBuffer.BitmapBuilder Validity { get; private set; } = new();

    protected int NullCount { get; private set; }

    protected void MarkValid() => Validity.Append(true);

    protected void MarkNull()
    {
        Validity.Append(false);
        NullCount++;
    }

    protected (ArrowBuffer Validity, int NullCount) TakeValidity()
    {
        var result = (NullCount == 0 ? ArrowBuffer.Empty : Validity.Build(ManagedMemoryAllocator.Instance), NullCount);
        Validity = new ArrowBuffer.BitmapBuilder();
        NullCount = 0;
        return result;
    }
}

internal abstract class FixedWidthBuilder<T>(ColumnSchema schema, string path) : ValidityColumnBuilder(schema, path)
    where T : struct
{
    private ArrowBuffer.Builder<T> _values = new();

    public override int Length => _values.Length;

    public override long ByteSize => (long)_values.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();

    protected void Add(T value)
    {
        _values.Append(value);
        MarkValid();
    }

    public override void AppendNull()
    {
        _values.Append(default(T));
        MarkNull();
    }

    public override IArrowArray Build()
    {
        var length = _values.Length;
        var (validity, nulls) = TakeValidity();
        var values = _values.Build(ManagedMemoryAllocator.Instance);
        _values = new ArrowBuffer.Builder<T>();
        return ArrowArrayFactory.BuildArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }

    protected void CheckRange(ScalarSchema s, double v, long row, object value)
    {
        if ((s.Min is { } min && !(v >= min)) || (s.Max is { } max && !(v <= max)))
        {
            var range = $"[{(s.Min?.ToString(CultureInfo.InvariantCulture) ?? "-inf")}, {(s.Max?.ToString(CultureInfo.InvariantCulture) ?? "inf")}]";
            throw Error(row, $"{ValueConversions.Describe(value)} is outside {range} ({s.Describe()})");
        }
    }
}

internal sealed class IntegerBuilder<T>(ScalarSchema schema, string path, long min, long max, Func<long, T> cast)
    : FixedWidthBuilder<T>(schema, path) where T : struct
{
    private readonly ScalarSchema _schema = schema;

    protected override void AppendValue(object value, long row)
    {
        long v;
        if (value is string name && _schema.ValueMap is { } map)
        {
            v = map.ValueOf(name) ?? throw Error(row, $"'{name}' is not a class of {_schema.Describe()} (classes: {string.Join(", ", map.Names.Take(20))})");
        }
        else if (!ValueConversions.TryInteger(value, out v))
        {
            throw Mismatch(row, value);
        }
        if (v < min || v > max)
        {
            throw Error(row, $"{v} does not fit in {_schema.Kind.Name()}");
        }
        if (_schema.ValueMap is { Count: > 0 } valueMap && !valueMap.ContainsKey(v))
        {
            throw Error(row, $"{v} is not in the value map of {_schema.Describe()} (values {valueMap.Keys.First()}..{valueMap.Keys.Last()})");
        }
        CheckRange(_schema, v, row, value);
        Add(cast(v));
    }
}

internal sealed class UInt64Builder(ScalarSchema schema, string path) : FixedWidthBuilder<ulong>(schema, path)
{
    protected override void AppendValue(object value, long row)
    {
        if (!ValueConversions.TryUnsigned(value, out var v))
        {
            throw Mismatch(row, value);
        }
        Add(v);
    }
}

internal sealed class FloatBuilder<T>(ScalarSchema schema, string path, Func<double, T> cast)
    : FixedWidthBuilder<T>(schema, path) where T : struct
{
    private readonly ScalarSchema _schema = schema;

    protected override void AppendValue(object value, long row)
    {
        if (!ValueConversions.TryFloat(value, out var v))
        {
            throw Mismatch(row, value);
        }
        CheckRange(_schema, v, row, value);
        Add(cast(v));
    }
}

internal sealed class TimestampBuilder(ScalarSchema schema, string path) : FixedWidthBuilder<long>(schema, path)
{
    protected override void AppendValue(object value, long row)
    {
        if (!ValueConversions.TryTimestampMicros(value, out var micros))
        {
            throw Mismatch(row, value);
        }
        Add(micros);
    }
}

internal sealed class BoolBuilder(ScalarSchema schema, string path) : ValidityColumnBuilder(schema, path)
{
    private ArrowBuffer.BitmapBuilder _values = new();

    public override int Length => _values.Length;

    public override long ByteSize => _values.Length / 8;

    protected override void AppendValue(object value, long row)
    {
        if (!ValueConversions.TryBool(value, out var b))
        {
            throw Mismatch(row, value);
        }
        _values.Append(b);
        MarkValid();
    }

    public override void AppendNull()
    {
        _values.Append(false);
        MarkNull();
    }

    public override IArrowArray Build()
    {
        var length = _values.Length;
        var (validity, nulls) = TakeValidity();
        var values = _values.Build(ManagedMemoryAllocator.Instance);
        _values = new ArrowBuffer.BitmapBuilder();
        return new BooleanArray(new ArrayData(ArrowType, length, nulls, 0, [validity, values]));
    }
}

/// <summary>Variable-length bytes (strings and binary): int32 offsets plus data.</summary>
internal abstract class VariableBuilder(ColumnSchema schema, string path) : ValidityColumnBuilder(schema, path)
{
    private ArrowBuffer.Builder<int> _offsets = new ArrowBuffer.Builder<int>().Append(0);
    private ArrowBuffer.Builder<byte> _data = new();
    private int _length;

    public override int Length => _length;

    public override long ByteSize => _data.Length + (4L * _length);

    protected void AddBytes(ReadOnlySpan<byte> bytes, long row)
    {
        if ((long)_data.Length + bytes.Length > int.MaxValue)
        {
            throw Error(row, "more than 2 GiB of data in one batch; lower tables.batch_rows");
        }
        _data.Append(bytes);
        _offsets.Append(_data.Length);
        _length++;
        MarkValid();
    }

    public override void AppendNull()
    {
        _offsets.Append(_data.Length);
        _length++;
        MarkNull();
    }

    public override IArrowArray Build()
    {
        var length = _length;
        var (validity, nulls) = TakeValidity();
        var data = new ArrayData(ArrowType, length, nulls, 0, [validity, _offsets.Build(ManagedMemoryAllocator.Instance), _data.Build(ManagedMemoryAllocator.Instance)]);
        _offsets = new ArrowBuffer.Builder<int>().Append(0);
        _data = new ArrowBuffer.Builder<byte>();
        _length = 0;
        return ArrowArrayFactory.BuildArray(data);
    }
}

internal sealed class StringColumnBuilder(ScalarSchema schema, string path) : VariableBuilder(schema, path)
{
    private byte[] _scratch = new byte[256];

    protected override void AppendValue(object value, long row)
    {
        if (!ValueConversions.TryString(value, out var s))
        {
            throw Mismatch(row, value);
        }
        var max = Encoding.UTF8.GetMaxByteCount(s.Length);
        if (_scratch.Length < max)
        {
            _scratch = new byte[Math.Max(max, _scratch.Length * 2)];
        }
        var n = Encoding.UTF8.GetBytes(s, _scratch);
        AddBytes(_scratch.AsSpan(0, n), row);
    }
}

internal sealed class BinaryColumnBuilder(ScalarSchema schema, string path) : VariableBuilder(schema, path)
{
    protected override void AppendValue(object value, long row)
    {
        switch (value)
        {
            case byte[] b: AddBytes(b, row); break;
            case ReadOnlyMemory<byte> m: AddBytes(m.Span, row); break;
            case Memory<byte> m: AddBytes(m.Span, row); break;
            case JsonElement { ValueKind: JsonValueKind.String } j when j.TryGetBytesFromBase64(out var bytes): AddBytes(bytes, row); break;
            default: throw Mismatch(row, value);
        }
    }
}

internal sealed class ListColumnBuilder : ValidityColumnBuilder
{
    private readonly ListSchema _schema;
    private readonly ColumnBuilder _element;
    private ArrowBuffer.Builder<int> _offsets = new ArrowBuffer.Builder<int>().Append(0);
    private int _length;

    public ListColumnBuilder(ListSchema schema, string path) : base(schema, path)
    {
        _schema = schema;
        _element = Create(schema.Element, path + "[]");
    }

    public override int Length => _length;

    public override long ByteSize => _element.ByteSize + (4L * _length);

    protected override void AppendValue(object value, long row)
    {
        if (value is string or IDictionary or IReadOnlyDictionary<string, object?> || value is not IEnumerable && value is not JsonElement)
        {
            throw Mismatch(row, value);
        }
        var start = _element.Length;
        switch (value)
        {
            case JsonElement { ValueKind: JsonValueKind.Array } j:
                foreach (var item in j.EnumerateArray())
                {
                    _element.Append(item, row);
                }
                break;
            case JsonElement:
                throw Mismatch(row, value);
            case IEnumerable e:
                foreach (var item in e)
                {
                    _element.Append(item, row);
                }
                break;
        }
        var count = _element.Length - start;
        if (_schema.FixedSize is { } n && count != n)
        {
            throw Error(row, $"expected {n} values ({_schema.Describe()}), got {count}");
        }
        if (_schema.FixedSize is null)
        {
            _offsets.Append(_element.Length);
        }
        _length++;
        MarkValid();
    }

    public override void AppendNull()
    {
        if (_schema.FixedSize is { } n)
        {
            for (var i = 0; i < n; i++)
            {
                _element.Append(null, 0, parentNull: true);
            }
        }
        else
        {
            _offsets.Append(_element.Length);
        }
        _length++;
        MarkNull();
    }

    public override IArrowArray Build()
    {
        var length = _length;
        var (validity, nulls) = TakeValidity();
        var child = _element.Build().Data;
        ArrayData data = _schema.FixedSize is null
            ? new ArrayData(ArrowType, length, nulls, 0, [validity, _offsets.Build(ManagedMemoryAllocator.Instance)], [child])
            : new ArrayData(ArrowType, length, nulls, 0, [validity], [child]);
        _offsets = new ArrowBuffer.Builder<int>().Append(0);
        _length = 0;
        return ArrowArrayFactory.BuildArray(data);
    }
}

internal sealed class StructColumnBuilder : ValidityColumnBuilder
{
    private readonly StructSchema _schema;
    private readonly ColumnBuilder[] _fields;
    private int _length;

    public StructColumnBuilder(StructSchema schema, string path) : base(schema, path)
    {
        _schema = schema;
        _fields = schema.Fields.Select(f => Create(f.Schema, $"{path}.{f.Name}")).ToArray();
    }

    public override int Length => _length;

    public override long ByteSize => _fields.Sum(f => f.ByteSize) + (_length / 8);

    protected override void AppendValue(object value, long row)
    {
        switch (value)
        {
            case IAnnotation annotation:
                AppendFields(annotation.ToRowValue(), row);
                break;
            case IReadOnlyDictionary<string, object?> d:
                AppendFields(d, row);
                break;
            case IDictionary<string, object?> d:
                AppendFields(d.AsReadOnly(), row);
                break;
            case JsonElement { ValueKind: JsonValueKind.Object } j:
                AppendFields(j.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value), row);
                break;
            default:
                throw Mismatch(row, value);
        }
        _length++;
        MarkValid();
    }

    private void AppendFields(IReadOnlyDictionary<string, object?> values, long row)
    {
        foreach (var key in values.Keys)
        {
            if (_schema.Field(key) is null)
            {
                throw Error(row, $"unexpected field '{key}' (expected {string.Join(", ", _schema.Fields.Select(f => f.Name))})");
            }
        }
        for (var i = 0; i < _fields.Length; i++)
        {
            if (!values.TryGetValue(_schema.Fields[i].Name, out var v) && _schema.Fields[i].Schema is ScalarSchema { DefaultValue: { } fallback })
            {
                v = fallback;
            }
            _fields[i].Append(v, row);
        }
    }

    public override void AppendNull()
    {
        foreach (var f in _fields)
        {
            f.Append(null, 0, parentNull: true);
        }
        _length++;
        MarkNull();
    }

    public override IArrowArray Build()
    {
        var length = _length;
        var (validity, nulls) = TakeValidity();
        var children = _fields.Select(f => f.Build().Data).ToArray();
        _length = 0;
        return new StructArray(new ArrayData(ArrowType, length, nulls, 0, [validity], children));
    }
}
