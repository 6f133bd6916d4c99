using System.Globalization;

namespace Tlc.Schemas;

/// <summary>A single primitive value per row (a number, string, bool, bytes or timestamp).</summary>
public class ScalarSchema : ColumnSchema
{
    private readonly string? _type;

    /// <summary>Creates a scalar schema of <paramref name="kind"/>; <paramref name="type"/> names a custom role.</summary>
    public ScalarSchema(ScalarKind kind, string? type = null)
    {
        Kind = kind;
        _type = type;
    }

    /// <summary>What is stored.</summary>
    public ScalarKind Kind { get; }

    /// <inheritdoc />
    public override string Type => _type ?? Kind.Name();

    private double? _min;
    private double? _max;
    private object? _defaultValue;
    private ValueMap? _valueMap;

    /// <summary>The smallest valid value (numeric kinds). Default: none.</summary>
    public double? Min { get => _min; init => _min = value; }

    /// <summary>The largest valid value (numeric kinds). Default: none.</summary>
    public double? Max { get => _max; init => _max = value; }

    /// <summary>The value a writer stores when a row leaves the column out. Default: none (the row is an error unless nullable).</summary>
    public object? DefaultValue { get => _defaultValue; init => _defaultValue = value; }

    /// <summary>What each stored value means (class names). Default: none.</summary>
    public ValueMap? ValueMap { get => _valueMap; init => _valueMap = value; }

    internal void SetScalar(double? min, double? max, object? defaultValue, ValueMap? valueMap)
    {
        _min = min;
        _max = max;
        _defaultValue = defaultValue;
        _valueMap = valueMap;
    }

    /// <summary>Returns a copy of this schema with another value map (a value-map edit).</summary>
    public ScalarSchema WithValueMap(ValueMap? valueMap)
    {
        var copy = SchemaJson.Clone(this);
        copy._valueMap = valueMap;
        return copy;
    }

    /// <inheritdoc />
    public override string Describe() => _type is null || _type == Kind.Name() ? Kind.Name() : $"{Kind.Name()} ({_type})";

    /// <summary>Formats a number for messages.</summary>
    protected static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
