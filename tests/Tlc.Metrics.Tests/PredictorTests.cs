using System.Text.Json.Nodes;
using Tlc.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class PredictorTests
{
    private static readonly string[] CnnModules = ["", "conv1", "relu1", "pool1", "conv2", "relu2", "pool2", "flatten", "fc1", "relu3", "fc2"];

    [Fact]
    public void NamedModules_FashionMnistCnn_MatchPyTorchsNamedModulesOfTheSameArchitecture()
    {
        using var model = new FashionMnistCnn();
        var names = NamedModules.Of(model).Select(m => m.Name).ToArray();

        Assert.Equal(CnnModules, names);
        // PyTorch's own listing, written by make_torch_parity.py.
        var python = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.TorchParity, "logits.json")))!["modules"]!.AsArray().Select(n => (string)n!).ToArray();
        Assert.Equal(python, names);
        Assert.Equal("relu3", names[FashionMnistCnn.EmbeddingLayer]);
    }

    [Fact]
    public void NamedModules_NestedModel_IsPreOrderWithTheRootFirst()
    {
        using var model = nn.Sequential(("block", nn.Sequential(("lin", nn.Linear(4, 3)), ("act", nn.ReLU()))), ("head", nn.Linear(3, 2)));

        var names = NamedModules.Of(model).Select(m => m.Name).ToArray();

        // PyTorch: ['', 'block', 'block.lin', 'block.act', 'head'] (TorchSharp's own named_modules() lists 'head' before 'block.lin').
        Assert.Equal(["", "block", "block.lin", "block.act", "head"], names);
        Assert.Equal(["block", "head", "block.lin", "block.act"], model.named_modules().Select(m => m.name).ToArray());
    }

    [Fact]
    public void Predict_Layers_CapturesThoseModulesOutputsDetachedOnTheCpu()
    {
        torch.manual_seed(7);
        using var model = new FashionMnistCnn();
        using var predictor = new Predictor(model, layers: [9, 0, 4]);
        using var input = rand(3, 1, 28, 28);

        using var output = predictor.Predict(input);

        Assert.Equal([0, 4, 9], predictor.Layers);
        Assert.Equal([0, 4, 9], output.HiddenLayers.Keys.Order());
        Assert.Equal([3L, 10], output.Forward.shape);
        Assert.Equal([3L, 32, 14, 14], output.HiddenLayers[4].shape);
        Assert.Equal([3L, 128], output.HiddenLayers[9].shape);
        Assert.All(output.HiddenLayers.Values, t => Assert.False(t.requires_grad));
        Assert.All(output.HiddenLayers.Values, t => Assert.Equal(DeviceType.CPU, t.device_type));
        Assert.Equal(output.Forward.data<float>().ToArray(), output.HiddenLayers[0].data<float>().ToArray());

        // Recompute the captured activations module by module, by named_modules index.
        var modules = NamedModules.Of(model).Select(m => (nn.Module<Tensor, Tensor>)m.Module).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = input;
        var expected = new Dictionary<int, Tensor>();
        for (var i = 1; i < modules.Length; i++)
        {
            x = modules[i].forward(x);
            expected[i] = x;
        }
        Assert.Equal(expected[4].data<float>().ToArray(), output.HiddenLayers[4].data<float>().ToArray());
        Assert.Equal(expected[9].data<float>().ToArray(), output.HiddenLayers[9].data<float>().ToArray());
        Assert.Equal(expected[10].data<float>().ToArray(), output.Forward.data<float>().ToArray());
    }

    [Fact]
    public void Predict_ModelInTrainingMode_RunsInEvalModeWithoutGradAndRestoresTraining()
    {
        torch.manual_seed(3);
        using var model = nn.Sequential(("lin", nn.Linear(8, 8)), ("drop", nn.Dropout(0.5)));
        model.train();
        using var predictor = new Predictor(model);
        using var input = rand(4, 8);

        using var first = predictor.Predict(input);
        using var second = predictor.Predict(input);

        Assert.True(model.training);
        Assert.False(first.Forward.requires_grad);
        Assert.Equal(first.Forward.data<float>().ToArray(), second.Forward.data<float>().ToArray());
        model.eval();
        using var noGrad = no_grad();
        using var evaluated = model.forward(input);
        Assert.Equal(evaluated.data<float>().ToArray(), first.Forward.data<float>().ToArray());
    }

    [Fact]
    public void Constructor_LayerOutOfRange_ListsTheModules()
    {
        using var model = new FashionMnistCnn();
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Predictor(model, layers: [11]));
        Assert.Contains("Layer 11 does not exist: the model has 11 modules", e.Message, StringComparison.Ordinal);
        Assert.Contains("9: relu3 ReLU", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ModelWithoutOneTensorForward_IsAnError()
    {
        using var model = nn.ModuleDict<nn.Module>(("a", nn.ReLU()));
        var e = Assert.Throws<ArgumentException>(() => new Predictor(model));
        Assert.Contains("must take one tensor and return one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_ModelNotOwned_StaysUsableWhileThePredictorRefusesWork()
    {
        using var model = new FashionMnistCnn();
        var predictor = new Predictor(model, layers: [9]);
        predictor.Dispose();

        using var input = rand(1, 1, 28, 28);
        using var again = new Predictor(model, layers: [4]);
        using var output = again.Predict(input);

        Assert.Equal([4], output.HiddenLayers.Keys);
        Assert.Throws<ObjectDisposedException>(() => predictor.Predict(input));
    }

    [Fact]
    public void Device_Auto_FallsBackToTheCpuWithoutCuda()
    {
        var expected = torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU; // the CPU libtorch build: always the CPU
        using var model = new FashionMnistCnn();
        using var predictor = new Predictor(model, device: "auto");
        using var input = rand(2, 1, 28, 28);
        using var output = predictor.Predict(input);

        Assert.Equal(expected, predictor.Device.type);
        Assert.Equal(expected, output.Forward.device_type);
        Assert.Equal(expected == DeviceType.CPU ? "cpu" : "cuda:0", Devices.Name(Devices.Resolve("AUTO")));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:0")]
    public void Device_Cuda_WithoutCudaIsAnErrorSayingHowToGetIt(string device)
    {
        if (torch.cuda.is_available())
        {
            Assert.Equal(DeviceType.CUDA, Devices.Resolve(device).type);
            return;
        }
        var e = Assert.Throws<ArgumentException>(() => Devices.Resolve(device));
        Assert.Contains($"Device '{device}' asks for CUDA, which is not available", e.Message, StringComparison.Ordinal);
        Assert.Contains("-p:TlcTorchBackend=cuda", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gpu", "Unknown device 'gpu': expected cpu, cuda, cuda:N or auto")]
    [InlineData("cuda:x", "Unknown device 'cuda:x'")]
    [InlineData("cuda:99", "cuda:99")]
    public void Device_Unknown_IsAClearError(string device, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => Devices.Resolve(device));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
