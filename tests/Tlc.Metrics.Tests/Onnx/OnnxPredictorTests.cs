using Microsoft.ML.OnnxRuntime;
using Tlc.Metrics.Embeddings;
using Tlc.Metrics.Onnx;
using Tlc.Metrics.Reduction;
using Tlc.Metrics.Tests.Reduction;
using Tlc.Metrics.Tests.Vision;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Import;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using Tlc.Testing;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests.Onnx;

public sealed class OnnxPredictorTests : IDisposable
{
    private readonly TempRoot _root = new("onnx");

    public void Dispose() => _root.Dispose();

    [Fact(Timeout = 120_000)]
    public async Task Predict_ResNet18OnTheLabelmePhotos_Gives512FiniteDeterministicFeaturesAsADirectRun()
    {
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, TestContext.Current.CancellationToken);
        using var predictor = OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "resnet18", OnnxModels.ResNet18, OnnxModels.ResNet18Arguments, "auto"),
            new ModelContext(UrlAdapterRegistry.Default, [0]));
        Assert.Equal(("Input247", "Pooling395_Output_0"), (predictor.InputName, predictor.OutputName));
        Assert.Equal([3L, 224, 224], predictor.SampleShape);
        Assert.Equal(CPU, predictor.Device);

        using var input = stack(Enumerable.Range(0, 3).Select(r => predictor.Preprocess(table[r])).ToList());
        using var first = predictor.Predict(input);
        using var second = predictor.Predict(input);
        Assert.Equal([3L, 512, 1, 1], first.Forward.shape);
        Assert.True(first.Forward.isfinite().all().item<bool>());
        Assert.True(first.Forward.eq(second.Forward).all().item<bool>(), "two runs on the same input differ");
        Assert.True(first.HiddenLayers[0].eq(first.Forward).all().item<bool>(), "layer 0 is the model's only output");
        Assert.True(first.Forward.min().item<float>() >= 0, "features after ReLU and average pooling are not negative");
        // Three different photos give three different feature vectors.
        using var flat = first.Forward.reshape(3, 512);
        Assert.True(flat[0].sub(flat[1]).abs().max().item<float>() > 0.1f);
        Assert.True(flat[1].sub(flat[2]).abs().max().item<float>() > 0.1f);

        // The same preprocessed input through a session of our own, sample by sample (the model's batch is fixed at 1).
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxModels.ResNet18, options);
        for (var i = 0; i < 3; i++)
        {
            using var sample = input[i].contiguous();
            using var value = OrtValue.CreateTensorValueFromMemory(sample.data<float>().ToArray(), [1, 3, 224, 224]);
            using var outputs = session.Run(new RunOptions(), ["Input247"], [value], ["Pooling395_Output_0"]);
            var direct = outputs[0].GetTensorDataAsSpan<float>().ToArray();
            var ours = flat[i].data<float>().ToArray();
            Assert.Equal(512, direct.Length);
            for (var k = 0; k < direct.Length; k++)
            {
                Assert.True(Math.Abs(direct[k] - ours[k]) <= 1e-5f * Math.Max(1f, Math.Abs(direct[k])), $"photo {i}, feature {k}: {ours[k]} vs {direct[k]}");
            }
        }
    }

    [Fact(Timeout = 120_000)]
    public void Preprocess_ImageAtModelSize_IsScaledAndNormalisedPerChannel()
    {
        var photo = ImageSample.Decode(File.ReadAllBytes(LabelmeData.Images[1].Path));
        var crop = new byte[224 * 224 * 4];
        for (var y = 0; y < 224; y++)
        {
            Array.Copy(photo.Pixels, ((y + 40) * photo.Width + 100) * 4, crop, y * 224 * 4, 224 * 4);
        }
        var image = new ImageSample(224, 224, ImageColorType.Rgba8888, crop);

        // BGR, 0..255 less the channel means (the featurizer's setting).
        using (var predictor = new OnnxPredictor(OnnxModels.ResNet18, OnnxPredictorOptions.FromJson(OnnxModels.ResNet18Arguments, "test")))
        using (var values = predictor.Preprocess(image))
        {
            var v = values.data<float>().ToArray();
            float[] mean = [103.0626f, 115.9029f, 123.1516f];
            for (var p = 0; p < 224 * 224; p++)
            {
                for (var c = 0; c < 3; c++)
                {
                    Assert.Equal(crop[(p * 4) + (2 - c)] - mean[c], v[(c * 224 * 224) + p]);
                }
            }
        }
        // RGB in 0..1, ImageNet mean and std.
        var options = new OnnxPredictorOptions { Mean = [0.485f, 0.456f, 0.406f], Std = [0.229f, 0.224f, 0.225f], Width = 224, Height = 224, Layout = TensorLayout.Nchw };
        using (var predictor = new OnnxPredictor(OnnxModels.ResNetPreprocess, options))
        using (var values = predictor.Preprocess(image))
        {
            var v = values.data<float>().ToArray();
            var p = (17 * 224) + 5;
            for (var c = 0; c < 3; c++)
            {
                Assert.Equal(((crop[(p * 4) + c] / 255.0) - options.Mean[c]) / options.Std[c], v[(c * 224 * 224) + p], 5);
            }
            // Channels last: the same values, interleaved.
            var nhwc = ImageTensors.ToValues(image, 224, 224, 3, options with { Layout = TensorLayout.Nhwc });
            Assert.Equal(v[(1 * 224 * 224) + p], nhwc[(p * 3) + 1]);
            // One channel: the mean of red, green and blue.
            var gray = ImageTensors.ToValues(image, 224, 224, 1, options with { Mean = [0f], Std = [1f] });
            Assert.Equal((crop[p * 4] + crop[(p * 4) + 1] + crop[(p * 4) + 2]) / 3f / 255f, gray[p], 6);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Create_HttpWeightsUrl_LoadsATemporaryCopyRemovedOnDispose()
    {
        await using var server = new LocalHttpServer(OnnxModels.Folder);
        var before = Directory.GetFiles(Path.GetTempPath(), "tlc-onnx-*.onnx").ToHashSet();
        var spec = new ModelSpec(ModelKinds.Onnx, "prep", server.BaseUrl.Join("ResNetPreprocess.onnx").Value, """{"pixel_scale": 1}""");
        var predictor = OnnxPredictor.Create(spec, new ModelContext(UrlAdapterRegistry.Default, []));
        var copies = Directory.GetFiles(Path.GetTempPath(), "tlc-onnx-*.onnx").Where(f => !before.Contains(f)).ToList();
        Assert.Single(copies);
        Assert.Equal(new FileInfo(OnnxModels.ResNetPreprocess).Length, new FileInfo(copies[0]).Length);
        using (predictor)
        {
            // The model subtracts a mean image: our output equals a direct run of the file.
            using var input = predictor.Preprocess(ImageSample.Decode(File.ReadAllBytes(LabelmeData.Images[0].Path))).unsqueeze(0);
            using var output = predictor.Predict(input);
            Assert.Equal([1L, 3, 224, 224], output.Forward.shape);
            using var session = new InferenceSession(OnnxModels.ResNetPreprocess);
            using var value = OrtValue.CreateTensorValueFromMemory(input.contiguous().data<float>().ToArray(), [1, 3, 224, 224]);
            using var direct = session.Run(new RunOptions(), ["OriginalInput"], [value], ["PreprocessedInput"]);
            Assert.Equal(direct[0].GetTensorDataAsSpan<float>().ToArray(), output.Forward.data<float>().ToArray());
        }
        Assert.False(File.Exists(copies[0]), "the temporary copy outlived the predictor");
    }

    [Fact]
    public void Create_BadSpecs_AreClearErrors()
    {
        var context = new ModelContext(UrlAdapterRegistry.Default, []);
        Assert.Contains("not 'onnx'", Assert.ThrowsAny<ArgumentException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.TorchScript, "m", OnnxModels.ResNet18), context)).Message, StringComparison.Ordinal);
        Assert.Contains("CPU execution provider", Assert.ThrowsAny<ArgumentException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", OnnxModels.ResNet18, Device: "cuda"), context)).Message, StringComparison.Ordinal);
        Assert.Contains("needs the model file", Assert.ThrowsAny<ArgumentException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m"), context)).Message, StringComparison.Ordinal);
        var missing = Path.Combine(_root.Path, "nope.onnx");
        Assert.Contains(missing, Assert.Throws<FileNotFoundException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", missing), context)).Message, StringComparison.Ordinal);
        Assert.Contains("unknown argument(s) 'scale'", Assert.ThrowsAny<ArgumentException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", OnnxModels.ResNet18, """{"scale": 2}"""), context)).Message, StringComparison.Ordinal);
        Assert.Contains("no output 'logits'", Assert.ThrowsAny<ArgumentException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", OnnxModels.ResNetPreprocess, """{"output": "logits"}"""), context)).Message, StringComparison.Ordinal);
        Assert.Contains("layers index the outputs 0..0", Assert.Throws<ArgumentOutOfRangeException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", OnnxModels.ResNetPreprocess), new ModelContext(UrlAdapterRegistry.Default, [3]))).Message, StringComparison.Ordinal);
        var notAModel = _root.File("bad.onnx");
        File.WriteAllText(notAModel, "not a model");
        Assert.Contains("could not be loaded", Assert.Throws<FormatException>(() =>
            OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "m", notAModel), context)).Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task OutputEmbeddingCollector_ResNet18Features_BecomeAnEmbeddingColumnThatReducesToPca()
    {
        var ct = TestContext.Current.CancellationToken;
        using var table = await LabelmeData.ImportAsync(_root, CocoTask.Detect, ct);
        using var predictor = OnnxPredictor.Create(new ModelSpec(ModelKinds.Onnx, "resnet18", OnnxModels.ResNet18, OnnxModels.ResNet18Arguments),
            new ModelContext(UrlAdapterRegistry.Default, []));
        var collector = (OutputEmbeddingCollector)new OutputEmbeddingCollectorFactory().Create(new CollectorSpec("output_embeddings", """{"name": "resnet18", "dimensions": 512}"""));
        var columns = collector.Columns(table.Schema);
        Assert.True(columns["embeddings_resnet18"] is EmbeddingSchema { Dimensions: 512 });
        var samples = Enumerable.Range(0, 3).Select(r => table[r]).ToList();
        using var batch = new SampleBatch([0, 1, 2], samples, stack(samples.Select(predictor.Preprocess).ToList()));
        using var output = predictor.Predict(batch.Input);
        var rows = (float[][])collector.Collect(batch, output)["embeddings_resnet18"];
        Assert.Equal(output.Forward.reshape(3, 512).data<float>().ToArray(), rows.SelectMany(r => r).ToArray());

        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema(columns.Prepend(new("example_id", new Int64Schema()))),
            Project = "p",
            Dataset = "metrics",
            Table = "embeddings",
            Root = _root.Url,
            Settings = _root.Settings,
            AddWeightColumn = false,
        }, ct);
        for (var i = 0; i < 3; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["example_id"] = (long)i, ["embeddings_resnet18"] = rows[i] });
        }
        using var metrics = await writer.FinalizeAsync(ct);
        using var reduced = await EmbeddingReducer.AddReducedColumnAsync(metrics, "embeddings_resnet18", cancellationToken: ct);
        Assert.True(reduced.Schema["embeddings_resnet18_pca"] is EmbeddingSchema { Dimensions: 2 });
        var points = Enumerable.Range(0, 3).Select(i => (float[])reduced.GetValue("embeddings_resnet18_pca", i)!).ToArray();
        var expected = PcaReference.Project(rows, rows, 2);
        for (var i = 0; i < 3; i++)
        {
            for (var k = 0; k < 2; k++)
            {
                Assert.Equal(expected[i][k], points[i][k], 2);
            }
        }
        // Three points centred: their coordinates along each component sum to zero.
        Assert.Equal(0, points.Sum(p => (double)p[0]), 3);
    }
}
