using System.Text.Json;
using Tlc.DataTypes;

namespace Tlc.Tables.Arrow;

/// <summary>Strict conversions of boxed row values to stored values: no silent truncation, no parsing of strings into numbers.</summary>
internal static class ValueConversions
{
    public static bool TryInteger(object value, out long result)
    {
        switch (value)
        {
            case int i: result = i; return true;
            case long l: result = l; return true;
            case short s: result = s; return true;
            case sbyte sb: result = sb; return true;
            case byte b: result = b; return true;
            case ushort us: result = us; return true;
            case uint ui: result = ui; return true;
            case ulong ul when ul <= long.MaxValue: result = (long)ul; return true;
            case Enum e: result = Convert.ToInt64(e, System.Globalization.CultureInfo.InvariantCulture); return true;
            case JsonElement { ValueKind: JsonValueKind.Number } j when j.TryGetInt64(out var jl): result = jl; return true;
            default: result = 0; return false;
        }
    }

    public static bool TryUnsigned(object value, out ulong result)
    {
        if (value is ulong ul)
        {
            result = ul;
            return true;
        }
        if (value is JsonElement { ValueKind: JsonValueKind.Number } j && j.TryGetUInt64(out var ju))
        {
            result = ju;
            return true;
        }
        if (TryInteger(value, out var l) && l >= 0)
        {
            result = (ulong)l;
            return true;
        }
        result = 0;
        return false;
    }

    public static bool TryFloat(object value, out double result)
    {
        switch (value)
        {
            case double d: result = d; return true;
            case float f: result = f; return true;
            case decimal m: result = (double)m; return true;
            case Half h: result = (double)h; return true;
            case JsonElement { ValueKind: JsonValueKind.Number } j: result = j.GetDouble(); return true;
            default:
                if (value is not Enum && TryInteger(value, out var l))
                {
                    result = l;
                    return true;
                }
                if (value is ulong ul)
                {
                    result = ul;
                    return true;
                }
                result = 0;
                return false;
        }
    }

    public static bool TryBool(object value, out bool result)
    {
        switch (value)
        {
            case bool b: result = b; return true;
            case JsonElement { ValueKind: JsonValueKind.True }: result = true; return true;
            case JsonElement { ValueKind: JsonValueKind.False }: result = false; return true;
            default: result = false; return false;
        }
    }

    public static bool TryString(object value, out string result)
    {
        switch (value)
        {
            case string s: result = s; return true;
            case Url u: result = u.Value; return true;
            case JsonElement { ValueKind: JsonValueKind.String } j: result = j.GetString()!; return true;
            default: result = ""; return false;
        }
    }

    public static bool TryTimestampMicros(object value, out long micros)
    {
        switch (value)
        {
            case DateTimeOffset dto: micros = (dto.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10; return true;
            case DateTime dt: micros = (new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt).UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10; return true;
            case JsonElement { ValueKind: JsonValueKind.String } j when j.TryGetDateTimeOffset(out var jd): return TryTimestampMicros(jd, out micros);
            default: micros = 0; return false;
        }
    }

    public static bool IsNull(object? value) => value is null || value is DBNull || value is JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined };

    public static string Describe(object? value) => value is JsonElement j ? $"JSON {j.ValueKind.ToString().ToLowerInvariant()} {Truncate(j.GetRawText())}" : RowValues.Describe(value);

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "…" : s;
}
