namespace Tlc.Testing;

/// <summary>
/// Where the shared test fixtures live: prepared once, before any test assembly runs, by <c>tests/fixtures/prepare.sh</c>
/// (which <c>./test.sh</c> calls). The folder is <c>TLC_TEST_FIXTURES</c>, else <c>.fixtures/</c> at the repository root.
/// A missing fixture fails the test with the command that prepares it.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    /// <summary>The fixture folder.</summary>
    public static string Root => RootPath.Value;

    /// <summary>The repository root (the folder holding Tlc.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The path of a fixture file or folder, which must exist.</summary>
    public static string Require(string relative)
    {
        var path = Path.Combine(Root, relative);
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            throw new FileNotFoundException(
                $"Test fixture '{relative}' is missing under {Root}. Prepare the fixtures with: tests/fixtures/prepare.sh (./test.sh runs it).", path);
        }
        return path;
    }

    /// <summary>The Fashion-MNIST IDX folder of the Debian package dataset-fashion-mnist.</summary>
    public static string FashionMnistIdx => RequireAbsolute("/usr/share/datasets/fashion-mnist", "apt-get install dataset-fashion-mnist");

    /// <summary>Fashion-MNIST's test split as PNGs, one sub-folder per class name.</summary>
    public static string FashionMnistTestPngs => Require("fashion-mnist-png/test");

    /// <summary>The real COCO instance-segmentation set of Debian's labelme-examples (annotations.json, JPEGImages/).</summary>
    public static string LabelmeCoco => Require("labelme/instance_segmentation/data_dataset_coco");

    /// <summary>
    /// The labelme COCO set converted to YOLO by tests/fixtures/coco_to_yolo.py: <c>detect/</c> and <c>segment/</c>, each with
    /// <c>images/</c> and <c>labels/</c>, and <c>categories.txt</c> (class i on line i).
    /// </summary>
    public static string Yolo => Completed("yolo", ".complete-v2");

    /// <summary>The class names of <see cref="Yolo"/>, in class order.</summary>
    public static IReadOnlyList<string> YoloCategories => File.ReadAllLines(Require("yolo/categories.txt"));

    /// <summary>
    /// A COCO person-keypoints set written by tests/fixtures/make_coco_keypoints.py: <c>annotations.json</c> (category 1
    /// "person" with the 17 COCO keypoints and skeleton, category 2 "bicycle" without) and <c>images/</c> (three labelme JPEGs).
    /// </summary>
    public static string CocoKeypoints => Completed("coco-keypoints", ".complete-v1");

    /// <summary>
    /// A Hugging Face <c>save_to_disk</c> DatasetDict (train: 20 rows in 2 Arrow stream shards, test: 5) written by
    /// tests/fixtures/make_hf_dataset.mjs, with <c>expected.json</c> listing every row's inputs.
    /// </summary>
    public static string HuggingFaceFashionMnist => Completed("hf/fashion-mnist", ".complete-v1");

    /// <summary>
    /// The small Fashion-MNIST CNN (<c>Tlc.Metrics.FashionMnistCnn</c>) trained by the fixture builder on the train split
    /// (2 epochs, fixed seed, 1 torch thread), in TorchSharp's format; <c>fashion-mnist-cnn.json</c> beside it records how
    /// and its <c>test_accuracy</c>.
    /// </summary>
    public static string FashionMnistCnnWeights => Path.Combine(Completed("models", ".complete-v1"), "fashion-mnist-cnn.dat");

    /// <summary>
    /// The Python parity set written by tests/fixtures/make_torch_parity.py with Debian's PyTorch: the same CNN as a state
    /// dict (<c>fashion-mnist-cnn.pt</c>) and as TorchScript (<c>fashion-mnist-cnn.torchscript.pt</c>), and
    /// <c>logits.json</c> (the test-split indices and PyTorch's logits for them).
    /// </summary>
    public static string TorchParity => Completed("torch-parity", ".complete-v1");

    /// <summary>The npm packages installed for tests (apache-arrow, vega-datasets, ...).</summary>
    public static string NodeModules => Require("npm/node_modules");

    /// <summary>vega-datasets' flights-3m.parquet (3,000,000 rows).</summary>
    public static string Flights3mParquet => Require("npm/node_modules/vega-datasets/data/flights-3m.parquet");

    /// <summary>A fixture folder whose preparation step finished (it writes the <paramref name="marker"/> file last).</summary>
    private static string Completed(string relative, string marker)
    {
        Require(Path.Combine(relative, marker));
        return Require(relative);
    }

    private static string RequireAbsolute(string path, string install) =>
        Directory.Exists(path) || File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: {install} (tests/fixtures/prepare.sh does it).", path);

    private static string FindRoot()
    {
        var configured = Environment.GetEnvironmentVariable("TLC_TEST_FIXTURES");
        return string.IsNullOrEmpty(configured) ? Path.Combine(RepositoryRoot, ".fixtures") : Path.GetFullPath(configured);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Tlc.sln")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Tlc.sln above {AppContext.BaseDirectory}.");
    }
}
