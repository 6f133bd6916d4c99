using Tlc.Tables;
using Tlc.Tables.Import;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>Fashion-MNIST helpers: class names, preprocessing of table samples, and the IDX files as tensors.</summary>
public static class FashionMnist
{
    /// <summary>
    /// The class names in label order (0–9), written as folder names ("T-shirt/top" has its slash replaced): the names
    /// of the class folders of an image-folder import, so that a collector with these classes scores such a table by name.
    /// </summary>
    public static IReadOnlyList<string> Classes { get; } =
        ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];

    /// <summary>The mean pixel value of the training split (for optional normalisation).</summary>
    public const float Mean = 0.2860f;

    /// <summary>The standard deviation of the training split's pixels (for optional normalisation).</summary>
    public const float Std = 0.3530f;

    /// <summary>
    /// The model input of a sample: its <c>image</c> (gray, 28×28; colour is averaged) as a float tensor [1, 28, 28]
    /// scaled to [0, 1] — what <see cref="FashionMnistCnn"/> is trained on by default.
    /// </summary>
    public static Tensor Preprocess(TableRow sample) => Preprocessor()(sample);

    /// <summary>The preprocessing of <see cref="Preprocess"/>, optionally normalised with <see cref="Mean"/> and <see cref="Std"/>.</summary>
    public static Func<TableRow, Tensor> Preprocessor(bool normalize = false, string column = ImagePreprocessing.DefaultColumn)
    {
        float[]? mean = normalize ? [Mean] : null;
        float[]? std = normalize ? [Std] : null;
        return sample =>
        {
            var image = ImagePreprocessing.ImageOf(sample, column);
            if (image.Width != 28 || image.Height != 28)
            {
                throw new InvalidOperationException($"Row {sample.Index}, column '{column}': a Fashion-MNIST image is 28×28, got {image.Width}×{image.Height}.");
            }
            return ImagePreprocessing.ToTensor(image, channels: 1, mean, std);
        };
    }

    /// <summary>
    /// A split of the IDX files in <paramref name="folder"/> (<c>train</c> or <c>t10k</c>:
    /// <c>&lt;split&gt;-images-idx3-ubyte.gz</c> and <c>&lt;split&gt;-labels-idx1-ubyte.gz</c>) as images [N, 1, 28, 28]
    /// float32 scaled to [0, 1] and labels [N] int64.
    /// </summary>
    public static (Tensor Images, Tensor Labels) ReadIdx(string folder, string split)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentException.ThrowIfNullOrEmpty(split);
        var (count, rows, columns, pixels) = IdxReader.ReadImages(Path.Combine(folder, $"{split}-images-idx3-ubyte.gz"));
        var labels = IdxReader.ReadLabels(Path.Combine(folder, $"{split}-labels-idx1-ubyte.gz"));
        if (labels.Length != count)
        {
            throw new InvalidDataException($"{folder}: {count} {split} images but {labels.Length} labels.");
        }
        var data = new float[pixels.Length];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = pixels[i] / 255f;
        }
        return (tensor(data, [count, 1, rows, columns]), tensor(labels.Select(l => (long)l).ToArray()));
    }
}
