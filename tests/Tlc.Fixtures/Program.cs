using System.Diagnostics;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;

// Builds the decoded fixtures every test assembly shares. Argument: the fixture folder.
if (args.Length != 1)
{
    Console.Error.WriteLine("usage: Tlc.Fixtures <fixture-folder>");
    return 2;
}
var root = Path.GetFullPath(args[0]);
var watch = Stopwatch.StartNew();

// Fashion-MNIST test split as PNGs, one folder per class (for the image-folder importer).
string[] classes = ["T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"];
var pngRoot = Path.Combine(root, "fashion-mnist-png", "test");
var done = Path.Combine(pngRoot, ".complete");
if (!File.Exists(done))
{
    var idx = "/usr/share/datasets/fashion-mnist";
    var (count, rows, columns, pixels) = IdxReader.ReadImages(Path.Combine(idx, "t10k-images-idx3-ubyte.gz"));
    var labels = IdxReader.ReadLabels(Path.Combine(idx, "t10k-labels-idx1-ubyte.gz"));
    foreach (var c in classes)
    {
        Directory.CreateDirectory(Path.Combine(pngRoot, c));
    }
    Parallel.For(0, count, i =>
    {
        var image = new ImageSample(columns, rows, ImageColorType.Gray8, pixels.AsSpan(i * rows * columns, rows * columns).ToArray());
        File.WriteAllBytes(Path.Combine(pngRoot, classes[labels[i]], $"{i:D5}.png"), image.Encode(ImageEncoding.Png));
    });
    File.WriteAllText(done, $"{count}\n");
    Console.WriteLine($"[fixtures] wrote {count} Fashion-MNIST test PNGs in {watch.Elapsed.TotalSeconds:F1} s");
}
return 0;
