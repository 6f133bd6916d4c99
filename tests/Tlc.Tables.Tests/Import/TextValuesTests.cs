using System.Globalization;
using Tlc.Tables.Import;

namespace Tlc.Tables.Tests.Import;

public sealed class TextValuesTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0.5")]
    [InlineData("+1.25")]
    [InlineData("123.4567")]
    [InlineData("1e3")]
    [InlineData("-2.5E-7")]
    [InlineData(" 7.5 ")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1.7976931348623157E+308")]
    [InlineData("4.9406564584124654E-324")]
    [InlineData("0.1000000000000000055511151231257827")]
    [InlineData("abc")]
    [InlineData("1.5x")]
    [InlineData("1..5")]
    [InlineData("")]
    public void TryParseFloat_AnyText_AgreesWithTheRuntimeParser(string text)
    {
        var expected = double.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var value);
        var expectedSingle = float.TryParse(text, NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var single);

        Assert.Equal(expected, TextValues.TryParseFloat<double>(text, out var parsed));
        Assert.Equal(expectedSingle, TextValues.TryParseFloat<float>(text, out var parsedSingle));
        if (expected)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed));
            Assert.Equal(BitConverter.SingleToInt32Bits(single), BitConverter.SingleToInt32Bits(parsedSingle));
        }
    }

    [Theory]
    [InlineData("1,5")]
    [InlineData("1,000.5")]
    public void TryParseFloat_GroupSeparator_Refused(string text)
    {
        Assert.False(TextValues.TryParseFloat<double>(text, out _));
        Assert.False(TextValues.TryParseFloat<float>(text, out _));
    }
}
