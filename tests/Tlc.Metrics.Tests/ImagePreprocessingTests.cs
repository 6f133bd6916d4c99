using Tlc.Tables.Samples;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class ImagePreprocessingTests
{
    [Fact]
    public void ToTensor_GrayImage_IsOneChannelScaledToUnitRange()
    {
        var pixels = TestTables.Pixels(0);
        using var t = ImagePreprocessing.ToTensor(new ImageSample(28, 28, ImageColorType.Gray8, pixels));

        Assert.Equal([1L, 28, 28], t.shape);
        Assert.Equal(ScalarType.Float32, t.dtype);
        Assert.Equal(pixels.Select(p => p / 255f).ToArray(), t.data<float>().ToArray());
    }

    [Fact]
    public void ToTensor_RgbaImage_IsThreeChannelsPlanarWithoutAlpha()
    {
        byte[] rgba = [10, 20, 30, 255, 40, 50, 60, 0];
        using var t = ImagePreprocessing.ToTensor(new ImageSample(2, 1, ImageColorType.Rgba8888, rgba));

        Assert.Equal([3L, 1, 2], t.shape);
        Assert.Equal(new[] { 10, 40, 20, 50, 30, 60 }.Select(v => v / 255f).ToArray(), t.data<float>().ToArray());
    }

    [Fact]
    public void ToTensor_WithMeanAndStd_NormalisesPerChannel()
    {
        using var t = ImagePreprocessing.ToTensor(new ImageSample(2, 1, ImageColorType.Gray8, [0, 255]), channels: 3, mean: [0.5f, 0f, 1f], std: [0.5f, 1f, 2f]);

        Assert.Equal([3L, 1, 2], t.shape);
        Assert.Equal([-1f, 1f, 0f, 1f, -0.5f, 0f], t.data<float>().ToArray());
    }

    [Fact]
    public void ToTensor_NormalisationOfTheWrongLength_IsAnError()
    {
        var image = new ImageSample(2, 1, ImageColorType.Gray8, [0, 255]);
        Assert.Throws<ArgumentException>(() => ImagePreprocessing.ToTensor(image, mean: [0.5f, 0.5f], std: [1f, 1f]));
    }
}
