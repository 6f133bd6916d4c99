using Tlc.Tables.Urls;
using Tlc.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class RegistryTests
{
    [Fact]
    public void CreatePredictor_UnknownFactory_ListsTheRegisteredOnes()
    {
        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, "resnet-9000")));
        Assert.Equal("No model factory is registered as 'resnet-9000'. Registered: fashion-mnist-cnn.", e.Message);
    }

    [Fact]
    public void CreatePredictor_UnknownKind_ListsTheKnownKinds()
    {
        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().CreatePredictor(new ModelSpec("tensorflow", "m")));
        Assert.Equal("Model spec tensorflow 'm': unknown kind 'tensorflow'. Known kinds: factory, onnx, torchscript.", e.Message);
    }

    [Fact]
    public void CreatePredictor_MissingWeightsFile_NamesTheSpecAndTheFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.dat");
        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, path)));
        Assert.Contains($"factory 'fashion-mnist-cnn' (weights {path})", e.Message, StringComparison.Ordinal);
        Assert.Contains($"the file {path} does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatePredictor_WeightsOfAnotherModel_NamesTheSpecAndTheFile()
    {
        using var root = new TempRoot("weights");
        var path = root.File("other.dat");
        using (var other = nn.Sequential(("lin", nn.Linear(3, 2))))
        {
            other.save(path);
        }
        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, path)));
        Assert.Contains("Model spec factory 'fashion-mnist-cnn'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"Weights file {path} (TorchSharp) does not load into FashionMnistCnn", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreatePredictor_BadArguments_NameTheSpecAndTheArgument()
    {
        var registry = new ModelRegistry();
        var unknown = Assert.Throws<MetricsSpecException>(() => registry.CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, ArgumentsJson: """{"normalise": true}""")));
        var wrongType = Assert.Throws<MetricsSpecException>(() => registry.CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, ArgumentsJson: """{"normalize": "yes"}""")));
        var notObject = Assert.Throws<MetricsSpecException>(() => registry.CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, ArgumentsJson: "[1]")));

        Assert.Equal("model spec factory 'fashion-mnist-cnn': unknown argument(s) 'normalise' (known: normalize, image_column).", unknown.Message);
        Assert.Equal("model spec factory 'fashion-mnist-cnn': argument 'normalize' must be true or false, got \"yes\".", wrongType.Message);
        Assert.Contains("the arguments must be a JSON object, got array", notObject.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreatePredictor_WeightsOverHttp_AreDownloadedAndLoaded()
    {
        await using var server = new LocalHttpServer(Path.GetDirectoryName(Fixtures.FashionMnistCnnWeights)!);
        var url = server.BaseUrl.Join("fashion-mnist-cnn.dat").Value;
        using var viaHttp = new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, url));
        using var viaFile = new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Fixtures.FashionMnistCnnWeights));
        using var input = tensor(TestTables.Pixels(0).Select(p => p / 255f).ToArray(), [1, 1, 28, 28]);

        using var a = viaHttp.Predict(input);
        using var b = viaFile.Predict(input);

        Assert.Equal(b.Forward.data<float>().ToArray(), a.Forward.data<float>().ToArray());
        Assert.Contains(server.Requests, r => r.Contains("fashion-mnist-cnn.dat", StringComparison.Ordinal));
    }

    [Fact]
    public void CreatePredictor_SafetensorsWeights_LoadTheSameParameters()
    {
        using var root = new TempRoot("safetensors");
        torch.manual_seed(11);
        using var source = new FashionMnistCnn();
        var path = root.File("cnn.safetensors");
        TorchSharp.PyBridge.PyBridgeModuleExtensions.save_safetensors(source, path);
        var renamed = root.File("cnn.weights");
        File.Copy(path, renamed);
        using var input = rand(2, 1, 28, 28);

        using var predictor = new ModelRegistry().CreatePredictor(new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, path));
        using var output = predictor.Predict(input);
        source.eval();
        using var noGrad = no_grad();
        using var expected = source.call(input);

        Assert.Equal(expected.data<float>().ToArray(), output.Forward.data<float>().ToArray());
        Assert.Equal(ModelWeights.Format.Safetensors, ModelWeights.Detect(renamed));
        Assert.Equal(ModelWeights.Format.PyTorch, ModelWeights.Detect(Path.Combine(Fixtures.TorchParity, "fashion-mnist-cnn.pt")));
        Assert.Equal(ModelWeights.Format.TorchSharp, ModelWeights.Detect(Fixtures.FashionMnistCnnWeights));
    }

    [Fact]
    public void RegisterKind_AddsAKindAndResetRemovesIt()
    {
        var registry = new ModelRegistry();
        registry.RegisterKind("echo", (spec, context) => new Predictor(nn.Identity(), context.Layers, ownsModel: true));
        registry.Register(new RenamedFactory("second-cnn"));

        using (var predictor = registry.CreatePredictor(new ModelSpec("echo", "e")))
        {
            using var input = ones(2, 3);
            using var output = predictor.Predict(input);
            Assert.Equal(input.data<float>().ToArray(), output.Forward.data<float>().ToArray());
        }
        Assert.Equal(["echo", "factory", "onnx", "torchscript"], registry.Kinds);
        Assert.Equal(["fashion-mnist-cnn", "second-cnn"], registry.Names);

        registry.Reset();

        Assert.Equal(["factory", "onnx", "torchscript"], registry.Kinds);
        Assert.Equal(["fashion-mnist-cnn"], registry.Names);
        Assert.Equal(["fashion-mnist-cnn"], ModelRegistry.Default.Names.Where(n => n == "fashion-mnist-cnn"));
    }

    [Fact]
    public void CollectorRegistry_BuiltIns_ParseTheirArguments()
    {
        var registry = new CollectorRegistry();

        var classification = Assert.IsType<ClassificationCollector>(registry.Create(new CollectorSpec("classification", """{"classes": ["a", "b"], "label_column": "truth"}""")));
        var embeddings = Assert.IsType<EmbeddingsCollector>(registry.Create(new CollectorSpec("embeddings", """{"layers": [9, 4], "reshape": {"4": "avg_pool"}, "dimensions": {"9": 128}}""")));
        var flat = Assert.IsType<EmbeddingsCollector>(registry.Create(new CollectorSpec("embeddings", """{"layers": [7], "reshape": "flatten"}""")));
        var fromTable = Assert.IsType<ClassificationCollector>(registry.Create(new CollectorSpec("classification")));

        Assert.Equal(["a", "b"], classification.Classes!.Names);
        Assert.Equal("truth", classification.LabelColumn);
        Assert.Null(fromTable.Classes);
        Assert.Equal([9, 4], embeddings.Layers);
        Assert.Equal(EmbeddingReshape.AvgPool, embeddings.Reshape[4]);
        Assert.Equal(EmbeddingReshape.Mean, embeddings.Reshape[9]);
        Assert.Equal(128, embeddings.Dimensions[9]);
        Assert.Equal(EmbeddingReshape.Flatten, flat.Reshape[7]);
        Assert.Equal(["bounding_box", "classification", "embeddings", "output_embeddings", "segmentation"], registry.Names);
    }

    [Theory]
    [InlineData("confusion", null, "No metrics collector is registered as 'confusion'. Registered: bounding_box, classification, embeddings, output_embeddings, segmentation.")]
    [InlineData("embeddings", null, "collector spec 'embeddings': 'layers' must list at least one layer index")]
    [InlineData("embeddings", """{"layers": [9], "reshape": "median"}""", "argument 'reshape' must be mean, flatten, avg_pool or an object of layer → reshape, got \"median\".")]
    [InlineData("embeddings", """{"layers": [9], "reshape": {"4": "mean"}}""", "Layer 4 has a reshape or dimension but is not one of the layers")]
    [InlineData("embeddings", """{"layers": "nine"}""", "collector spec 'embeddings': argument 'layers' must be an array of integers, got \"nine\".")]
    [InlineData("classification", """{"classes": []}""", "collector spec 'classification': 'classes' is empty.")]
    [InlineData("classification", """{"clases": ["a"]}""", "unknown argument(s) 'clases' (known: classes, label_column)")]
    [InlineData("classification", "{not json", "collector spec 'classification': the arguments are not valid JSON")]
    public void CollectorRegistry_BadSpec_IsAClearError(string name, string? arguments, string message)
    {
        var e = Assert.Throws<MetricsSpecException>(() => new CollectorRegistry().Create(new CollectorSpec(name, arguments)));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    private sealed class RenamedFactory(string name) : IModelFactory
    {
        public string Name => name;

        public IPredictor Create(ModelSpec spec, ModelContext context) => new FashionMnistCnnFactory().Create(spec, context);
    }
}
