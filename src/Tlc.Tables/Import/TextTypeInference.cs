using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using csFastFloat;
using nietras.SeparatedValues;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>The types a text column can be inferred as, from narrowest to widest.</summary>
internal enum TextKind
{
    /// <summary>Only empty (null) values seen so far.</summary>
    Unknown,
    /// <summary>"true" / "false" (any letter case).</summary>
    Bool,
    /// <summary>Integers that fit a signed 64-bit value.</summary>
    Int64,
    /// <summary>Numbers (integers too large for int64 included), "NaN" and "Infinity".</summary>
    Float64,
    /// <summary>Anything else.</summary>
    String,
}

/// <summary>
/// Infers the type of a text column (CSV) from its values: every non-null value is classified as bool, int64, float64 or
/// string and the column takes the narrowest type that holds them all, widening int64 → float64 → string; bool mixed with
/// anything else is string. A null (empty) value makes the column nullable.
/// </summary>
internal sealed class TextTypeInference
{
    public TextKind Kind { get; private set; }

    public bool SawNull { get; private set; }

    public void ObserveNull() => SawNull = true;

    public void Observe(SepReader.Col col)
    {
        switch (Kind)
        {
            case TextKind.String:
                return;
            case TextKind.Unknown:
                Kind = Classify(col);
                return;
            case TextKind.Bool:
                if (!TextValues.TryParseBool(col.Span, out _))
                {
                    Kind = TextKind.String;
                }
                return;
            case TextKind.Int64:
                if (!TextValues.TryParseInt64(col.Span, out _))
                {
                    Kind = TextValues.TryParseFloat64(col.Span, out _) ? TextKind.Float64 : TextKind.String;
                }
                return;
            case TextKind.Float64:
                if (!TextValues.TryParseFloat64(col.Span, out _))
                {
                    Kind = TextKind.String;
                }
                return;
        }
    }

    /// <summary>The schema of the inferred type (a column of only nulls is a nullable string).</summary>
    public ColumnSchema ToSchema()
    {
        ColumnSchema schema = Kind switch
        {
            TextKind.Bool => new BoolSchema(),
            TextKind.Int64 => new Int64Schema(),
            TextKind.Float64 => new Float64Schema(),
            _ => new StringSchema(),
        };
        return SawNull || Kind == TextKind.Unknown ? schema.AsNullable() : schema;
    }

    private static TextKind Classify(SepReader.Col col)
    {
        var span = col.Span;
        if (TextValues.TryParseInt64(span, out _))
        {
            return TextKind.Int64;
        }
        if (TextValues.TryParseFloat64(col.Span, out _))
        {
            return TextKind.Float64;
        }
        return TextValues.TryParseBool(span, out _) ? TextKind.Bool : TextKind.String;
    }
}

/// <summary>How text fields parse into values; inference and import use the same rules.</summary>
internal static class TextValues
{
    /// <summary>How integers parse: an optional sign, digits, surrounding white space allowed (as the float parser allows).</summary>
    public const NumberStyles IntegerStyles = NumberStyles.Integer;

    public static bool TryParseInt64(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, IntegerStyles, CultureInfo.InvariantCulture, out value);

    /// <summary>Floating-point text as <see cref="TryParseFloat{T}"/> reads it.</summary>
    public static bool TryParseFloat64(ReadOnlySpan<char> text, out double value) => TryParseFloat(text, out value);

    /// <summary>
    /// Floating-point text, invariant culture ('.' decimals, exponents, NaN, infinity), read as Sep reads it: the fast
    /// float parser when it takes the whole text, else the runtime's parser. Text with a ',' is refused: the runtime
    /// parser would read "1,5" as 15 (a thousands separator).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryParseFloat<T>(ReadOnlySpan<char> text, out T value) where T : IFloatingPoint<T>
    {
        if (text.Contains(','))
        {
            value = default!;
            return false;
        }
        if (typeof(T) == typeof(double))
        {
            if (FastDoubleParser.TryParseDouble(text, out var consumed, out var d, decimal_separator: '.') && consumed == text.Length)
            {
                value = Unsafe.As<double, T>(ref d);
                return true;
            }
        }
        else if (typeof(T) == typeof(float))
        {
            if (FastFloatParser.TryParseFloat(text, out var consumed, out var f, decimal_separator: '.') && consumed == text.Length)
            {
                value = Unsafe.As<float, T>(ref f);
                return true;
            }
        }
        return T.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out value!);
    }

    /// <summary>True for an optional '-' or '+' followed by one or more ASCII digits (white space around allowed).</summary>
    public static bool IsIntegerText(ReadOnlySpan<char> text)
    {
        text = text.Trim();
        if (text.Length > 0 && text[0] is '-' or '+')
        {
            text = text[1..];
        }
        return text.Length > 0 && !text.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>"true" or "false" in any letter case.</summary>
    public static bool TryParseBool(ReadOnlySpan<char> text, out bool value)
    {
        if (text.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            value = true;
            return true;
        }
        if (text.Equals("false", StringComparison.OrdinalIgnoreCase))
        {
            value = false;
            return true;
        }
        value = false;
        return false;
    }
}
