using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Json;

namespace Tlc.Tables.Export;

/// <summary>
/// Writes raw table values as JSON: numbers as numbers (floats round-trippable; NaN and infinities as the strings "NaN",
/// "Infinity", "-Infinity"), strings, booleans, bytes as base64, timestamps as ISO 8601, lists as arrays and structs as objects.
/// Annotation objects (<see cref="Tlc.DataTypes.IAnnotation"/>, as <c>table[i]</c> decodes them) are written as their stored form.
/// </summary>
public static class JsonValues
{
    /// <summary>Writes <paramref name="value"/> (a value as a table returns it) to <paramref name="writer"/>.</summary>
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case float f:
                if (float.IsFinite(f))
                {
                    writer.WriteNumberValue(f);
                }
                else
                {
                    writer.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case double d:
                if (double.IsFinite(d))
                {
                    writer.WriteNumberValue(d);
                }
                else
                {
                    writer.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
                break;
            case sbyte or short or int or long:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case byte or ushort or uint or ulong:
                writer.WriteNumberValue(Convert.ToUInt64(value, CultureInfo.InvariantCulture));
                break;
            // The runtime lets an sbyte[] (an int8 list, e.g. keypoint visibility) pass as byte[]: it is a list of numbers.
            case byte[] bytes when bytes.GetType() == typeof(byte[]):
                writer.WriteBase64StringValue(bytes);
                break;
            case DateTimeOffset t:
                writer.WriteStringValue(t);
                break;
            // A sample value (table[i]'s boxes, keypoints, ...): written as its stored form.
            case Tlc.DataTypes.IAnnotation annotation:
                Write(writer, annotation.ToRowValue());
                break;
            case IReadOnlyDictionary<string, object?> fields:
                writer.WriteStartObject();
                foreach (var (name, field) in fields)
                {
                    writer.WritePropertyName(name);
                    Write(writer, field);
                }
                writer.WriteEndObject();
                break;
            case IEnumerable items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item);
                }
                writer.WriteEndArray();
                break;
            default:
                throw new NotSupportedException($"No JSON form for a value of type {value.GetType().Name}.");
        }
    }

    /// <summary>The compact JSON of <paramref name="value"/> as UTF-8.</summary>
    public static ReadOnlyMemory<byte> ToUtf8(object? value, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Write(writer, value);
        }
        return buffer.WrittenMemory;
    }

    /// <summary>Writer options for exports: compact, non-ASCII text kept as it is.</summary>
    public static JsonWriterOptions Options(bool indented) => new()
    {
        Indented = indented,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
