using System.Globalization;
using Apache.Arrow;
using Tlc.Schemas;

namespace Tlc.Tables.Arrow;

/// <summary>Checks a whole Arrow column against its schema: nulls, numeric ranges and value maps.</summary>
internal static class BatchValidation
{
    public static void Check(IArrowArray array, ColumnSchema schema, string column, long firstRow)
    {
        if (!schema.Nullable && array.NullCount > 0)
        {
            for (var i = 0; i < array.Length; i++)
            {
                if (array.IsNull(i))
                {
                    throw new RowValidationException(firstRow + i, column, $"a value is required (expected {schema.Describe()}), got null");
                }
            }
        }
        if (schema is not ScalarSchema scalar || !scalar.Kind.IsNumeric() || (scalar.Min is null && scalar.Max is null && scalar.ValueMap is not { Count: > 0 }))
        {
            return;
        }
        for (var i = 0; i < array.Length; i++)
        {
            if (array.IsNull(i))
            {
                continue;
            }
            var value = Convert.ToDouble(ArrowValues.GetValue(array, i), CultureInfo.InvariantCulture);
            if ((scalar.Min is { } min && !(value >= min)) || (scalar.Max is { } max && !(value <= max)))
            {
                throw new RowValidationException(firstRow + i, column,
                    $"{value.ToString(CultureInfo.InvariantCulture)} is outside [{scalar.Min?.ToString(CultureInfo.InvariantCulture) ?? "-inf"}, {scalar.Max?.ToString(CultureInfo.InvariantCulture) ?? "inf"}] ({scalar.Describe()})");
            }
            if (scalar.ValueMap is { Count: > 0 } map && !map.ContainsKey((long)value))
            {
                throw new RowValidationException(firstRow + i, column, $"{value.ToString(CultureInfo.InvariantCulture)} is not in the value map of {scalar.Describe()}");
            }
        }
    }
}
