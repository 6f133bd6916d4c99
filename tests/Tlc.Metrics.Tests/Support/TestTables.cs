using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Testing;

namespace Tlc.Metrics.Tests;

/// <summary>Small real tables for the tests: Fashion-MNIST test images (from the IDX files) with their labels.</summary>
internal static class TestTables
{
    private static readonly Lazy<(int Count, byte[] Pixels, byte[] Labels)> TestSplit = new(() =>
    {
        var (count, _, _, pixels) = IdxReader.ReadImages(Path.Combine(Fixtures.FashionMnistIdx, "t10k-images-idx3-ubyte.gz"));
        var labels = IdxReader.ReadLabels(Path.Combine(Fixtures.FashionMnistIdx, "t10k-labels-idx1-ubyte.gz"));
        return (count, pixels, labels);
    });

    /// <summary>The 784 pixels of test image <paramref name="index"/>.</summary>
    public static byte[] Pixels(int index) => TestSplit.Value.Pixels.AsSpan(index * 784, 784).ToArray();

    /// <summary>The label of test image <paramref name="index"/>.</summary>
    public static int Label(int index) => TestSplit.Value.Labels[index];

    /// <summary>
    /// A table of the first <paramref name="count"/> test images: <c>image</c> (PNG), <c>label</c> (the Fashion-MNIST
    /// classes, or <paramref name="classes"/> when given: the label values are then taken as they are) and <c>weight</c>.
    /// </summary>
    public static async Task<Table> FashionMnistAsync(TempRoot root, int count, string name = "t", IReadOnlyList<string>? classes = null, bool withLabel = true)
    {
        var schema = new TableSchema { ["image"] = new ImageSchema() };
        if (withLabel)
        {
            schema.Add("label", new CategoricalLabelSchema(classes ?? FashionMnist.Classes));
        }
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = schema,
            Project = "p",
            Dataset = "fashion-mnist",
            Table = name,
            Root = root.Url,
            Settings = root.Settings,
        }, TestContext.Current.CancellationToken);
        for (var i = 0; i < count; i++)
        {
            var row = new Dictionary<string, object?> { ["image"] = new ImageSample(28, 28, ImageColorType.Gray8, Pixels(i)) };
            if (withLabel)
            {
                row["label"] = Label(i);
            }
            writer.AddRow(row);
        }
        return await writer.FinalizeAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A table with one <c>label</c> column of <paramref name="classes"/> holding <paramref name="labels"/>.</summary>
    public static async Task<Table> LabelsAsync(TempRoot root, ValueMap classes, IEnumerable<long> labels, string name = "labels")
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["label"] = new CategoricalLabelSchema(classes) },
            Project = "p",
            Dataset = "labels",
            Table = name,
            Root = root.Url,
            Settings = root.Settings,
        }, TestContext.Current.CancellationToken);
        foreach (var label in labels)
        {
            writer.AddRow(new Dictionary<string, object?> { ["label"] = label });
        }
        return await writer.FinalizeAsync(TestContext.Current.CancellationToken);
    }

    /// <summary>A batch of all rows of <paramref name="table"/> (decoded samples) with <paramref name="input"/>, which the batch then owns.</summary>
    public static SampleBatch Batch(Table table, TorchSharp.torch.Tensor input) =>
        new(Enumerable.Range(0, table.Count).Select(i => (long)i).ToArray(), Enumerable.Range(0, table.Count).Select(i => table.Sample(i)).ToArray(), input)
        {
            Schema = table.Schema,
        };

    /// <summary>The Fashion-MNIST test split (10,000 rows) imported from the PNG fixture folder (class names sorted alphabetically).</summary>
    public static Task<Table> FashionMnistTestSplitAsync(TempRoot root) =>
        Table.FromImageFolderAsync(Fixtures.FashionMnistTestPngs, new ImageFolderImportOptions
        {
            Project = "p",
            Dataset = "fashion-mnist",
            Table = "test",
            Root = root.Url,
            Settings = root.Settings,
        }, TestContext.Current.CancellationToken);

    /// <summary>The IDX index of a row of <see cref="FashionMnistTestSplitAsync"/> (its file is named by it).</summary>
    public static int IdxIndexOf(Table table, long row) =>
        int.Parse(Path.GetFileNameWithoutExtension(new Url((string)table.Rows[row]["image"]!).LocalPath), System.Globalization.CultureInfo.InvariantCulture);
}
