namespace Tlc.Schemas;

/// <summary>A list of values per row; every element follows <see cref="Element"/>.</summary>
public class ListSchema : ColumnSchema
{
    private readonly string? _type;

    /// <summary>Creates a list schema; a <paramref name="fixedSize"/> stores an Arrow fixed-size list.</summary>
    public ListSchema(ColumnSchema element, int? fixedSize = null, string? type = null)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (fixedSize is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(fixedSize), fixedSize, "A fixed list size must be positive.");
        }
        Element = element;
        FixedSize = fixedSize;
        _type = type;
    }

    /// <summary>The schema of each element.</summary>
    public ColumnSchema Element { get; }

    /// <summary>The exact number of elements of every row, or null for variable length.</summary>
    public int? FixedSize { get; }

    /// <inheritdoc />
    public override string Type => _type ?? "list";

    /// <inheritdoc />
    public override string Describe()
    {
        var shape = FixedSize is { } n ? $"list<{Element.Describe()}>[{n}]" : $"list<{Element.Describe()}>";
        return _type is null ? shape : $"{shape} ({_type})";
    }
}
