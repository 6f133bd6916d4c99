using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Metrics;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using TorchSharp;
using static TorchSharp.torch;

// Builds the decoded fixtures every test assembly shares. Arguments: the fixture folder, then the steps to run
// (png, models; default: all). Each step skips itself when its marker file is there.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: Tlc.Fixtures <fixture-folder> [png] [models]");
    return 2;
}
var root = Path.GetFullPath(args[0]);
var steps = args.Length > 1 ? args[1..] : ["png", "models"];
const string Idx = "/usr/share/datasets/fashion-mnist";

if (steps.Contains("png"))
{
    WriteTestPngs(root);
}
if (steps.Contains("models"))
{
    TrainFashionMnistCnn(root);
}
return 0;

// Fashion-MNIST test split as PNGs, one folder per class (for the image-folder importer).
static void WriteTestPngs(string root)
{
    var watch = Stopwatch.StartNew();
    var pngRoot = Path.Combine(root, "fashion-mnist-png", "test");
    var done = Path.Combine(pngRoot, ".complete");
    if (File.Exists(done))
    {
        return;
    }
    var (count, rows, columns, pixels) = IdxReader.ReadImages(Path.Combine(Idx, "t10k-images-idx3-ubyte.gz"));
    var labels = IdxReader.ReadLabels(Path.Combine(Idx, "t10k-labels-idx1-ubyte.gz"));
    var classes = FashionMnist.Classes;
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

// The small Fashion-MNIST CNN, trained once on the train split (IDX pixels, no table) with a fixed seed and one torch
// thread: models/fashion-mnist-cnn.dat (TorchSharp format) and models/fashion-mnist-cnn.json (how, and its test accuracy).
static void TrainFashionMnistCnn(string root)
{
    var folder = Path.Combine(root, "models");
    var done = Path.Combine(folder, ".complete-v1");
    if (File.Exists(done))
    {
        return;
    }
    Directory.CreateDirectory(folder);
    var watch = Stopwatch.StartNew();
    torch.set_num_threads(1);
    const int Seed = 20240611;
    var options = new ClassifierTrainerOptions { Epochs = 2, BatchSize = 64, Optimizer = OptimizerKind.Adam, LearningRate = 1e-3, Seed = Seed };
    var (images, labels) = FashionMnist.ReadIdx(Idx, "train");
    torch.manual_seed(Seed);
    using var model = new FashionMnistCnn();
    var epochs = ClassifierTrainer.Train(model, images, labels, options,
        e => Console.WriteLine($"[fixtures] fashion-mnist-cnn epoch {e.Epoch}: loss {e.Loss:F4}, train accuracy {e.Accuracy:F4} ({e.Elapsed.TotalSeconds:F1} s)"));
    images.Dispose();
    labels.Dispose();

    var (testImages, testLabels) = FashionMnist.ReadIdx(Idx, "t10k");
    long correct = 0;
    using (no_grad())
    {
        for (long at = 0; at < testImages.shape[0]; at += 1000)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(1000, testImages.shape[0] - at);
            correct += model.call(testImages.narrow(0, at, n)).argmax(1).eq(testLabels.narrow(0, at, n)).sum().item<long>();
        }
    }
    var accuracy = (double)correct / testImages.shape[0];
    var weights = Path.Combine(folder, "fashion-mnist-cnn.dat");
    model.save(weights + ".tmp");
    File.Move(weights + ".tmp", weights, overwrite: true);
    var report = new JsonObject
    {
        ["model"] = FashionMnistCnnFactory.FactoryName,
        ["weights"] = "fashion-mnist-cnn.dat",
        ["format"] = "torchsharp",
        ["train_split"] = "train (60000 images, IDX)",
        ["epochs"] = options.Epochs,
        ["batch_size"] = options.BatchSize,
        ["optimizer"] = "adam",
        ["learning_rate"] = options.LearningRate,
        ["seed"] = Seed,
        ["torch_threads"] = 1,
        ["preprocess"] = "gray 28x28 / 255, no normalisation",
        ["train_loss"] = new JsonArray([.. epochs.Select(e => (JsonNode)JsonValue.Create(Math.Round(e.Loss, 6)))]),
        ["train_accuracy"] = new JsonArray([.. epochs.Select(e => (JsonNode)JsonValue.Create(Math.Round(e.Accuracy, 6)))]),
        ["test_correct"] = correct,
        ["test_accuracy"] = accuracy,
    };
    File.WriteAllText(Path.Combine(folder, "fashion-mnist-cnn.json"), report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    File.WriteAllText(done, "");
    Console.WriteLine($"[fixtures] trained fashion-mnist-cnn: test accuracy {accuracy:F4} in {watch.Elapsed.TotalSeconds:F1} s");
}
