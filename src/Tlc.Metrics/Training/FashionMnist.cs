using Tlc.DataTypes;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
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

    /// <summary>
    /// Imports one split of Fashion-MNIST from its IDX files in <paramref name="folder"/> (Debian's
    /// <c>dataset-fashion-mnist</c> installs them in <c>/usr/share/datasets/fashion-mnist</c>): a table of PNG images
    /// (written as bulk data) and class labels, or the existing table under <see cref="IfExists.Reuse"/>.
    /// </summary>
    /// <param name="folder">The folder holding <c>&lt;prefix&gt;-images-idx3-ubyte.gz</c> and <c>&lt;prefix&gt;-labels-idx1-ubyte.gz</c>.</param>
    /// <param name="prefix"><c>train</c> or <c>t10k</c>.</param>
    /// <param name="options">Where the table goes.</param>
    /// <param name="rowsWritten">Told how many rows were written so far.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is published).</param>
    /// <exception cref="FileNotFoundException">The IDX files are not in <paramref name="folder"/>.</exception>
    public static async Task<Table> ImportIdxAsync(string folder, string prefix, ImportOptions options, IProgress<int>? rowsWritten = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return existing;
        }
        var images = Path.Combine(folder, $"{prefix}-images-idx3-ubyte.gz");
        var labelsFile = Path.Combine(folder, $"{prefix}-labels-idx1-ubyte.gz");
        if (!File.Exists(images) || !File.Exists(labelsFile))
        {
            throw new FileNotFoundException($"Fashion-MNIST is not in {folder} ({Path.GetFileName(images)} missing): install it with 'sudo apt-get install dataset-fashion-mnist' (./demo.sh does).", images);
        }
        var (count, rows, columns, pixels) = IdxReader.ReadImages(images);
        var labels = IdxReader.ReadLabels(labelsFile);
        if (labels.Length != count)
        {
            throw new FormatException($"{labelsFile} has {labels.Length} labels for {count} images.");
        }
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Png),
            ["label"] = new CategoricalLabelSchema(Classes),
        };
        await using var writer = await TableWriter.CreateAsync(options.ToWriterOptions(schema, new System.Text.Json.Nodes.JsonObject
        {
            ["format"] = "idx",
            ["images"] = Url.FromLocalPath(images).Value,
            ["labels"] = Url.FromLocalPath(labelsFile).Value,
        }), cancellationToken).ConfigureAwait(false);
        const int block = 2048;
        for (var start = 0; start < count; start += block)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(block, count - start);
            // PNG encoding is the cost: encode a block in parallel, then add the rows in order.
            var encoded = new byte[n][];
            Parallel.For(0, n, i => encoded[i] = new ImageSample(columns, rows, ImageColorType.Gray8,
                pixels.AsSpan((start + i) * rows * columns, rows * columns).ToArray()).Encode(ImageEncoding.Png));
            for (var i = 0; i < n; i++)
            {
                writer.AddRow(new Dictionary<string, object?> { ["image"] = encoded[i], ["label"] = (int)labels[start + i] });
            }
            rowsWritten?.Report(start + n);
        }
        return await writer.FinalizeAsync(cancellationToken).ConfigureAwait(false);
    }
}
