using System.Text.Json.Nodes;
using Tlc.Tables.Urls;
using Tlc.Testing;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

/// <summary>
/// Models exported by Debian's PyTorch 1.13 (tests/fixtures/make_torch_parity.py) give TorchSharp the logits PyTorch
/// computed, within 1e-5.
/// </summary>
public sealed class TorchParityTests
{
    private const double Tolerance = 1e-5;

    private static (int[] Indices, float[][] Logits) Reference()
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.TorchParity, "logits.json")))!;
        var indices = json["indices"]!.AsArray().Select(n => (int)n!).ToArray();
        var logits = json["logits"]!.AsArray().Select(r => r!.AsArray().Select(v => (float)(double)v!).ToArray()).ToArray();
        return (indices, logits);
    }

    private static Tensor Inputs(int[] indices) =>
        tensor(indices.SelectMany(i => TestTables.Pixels(i).Select(p => p / 255f)).ToArray(), [indices.Length, 1, 28, 28]);

    private static void AssertLogits(float[][] expected, Tensor actual)
    {
        Assert.Equal([(long)expected.Length, 10], actual.shape);
        var values = actual.data<float>().ToArray();
        Assert.Contains(expected, row => row.Any(v => Math.Abs(v) > 1e-3)); // not trivially zero
        for (var i = 0; i < expected.Length; i++)
        {
            for (var j = 0; j < 10; j++)
            {
                Assert.True(Math.Abs(expected[i][j] - values[(i * 10) + j]) <= Tolerance, $"logit [{i}, {j}]: PyTorch {expected[i][j]}, TorchSharp {values[(i * 10) + j]}");
            }
        }
    }

    [Fact]
    public void StateDict_LoadedWithPyBridgeIntoFashionMnistCnn_GivesPyTorchsLogits()
    {
        var (indices, expected) = Reference();
        using var model = new FashionMnistCnn();
        model.load_py(Path.Combine(Fixtures.TorchParity, "fashion-mnist-cnn.pt"), strict: true);
        model.eval();
        using var input = Inputs(indices);
        using var noGrad = no_grad();
        using var logits = model.call(input);

        AssertLogits(expected, logits);
    }

    [Fact]
    public void StateDict_ThroughAFactorySpec_GivesPyTorchsLogits()
    {
        var (indices, expected) = Reference();
        var spec = new ModelSpec(ModelKinds.Factory, FashionMnistCnnFactory.FactoryName, Url.FromLocalPath(Path.Combine(Fixtures.TorchParity, "fashion-mnist-cnn.pt")).Value);
        using var predictor = new ModelRegistry().CreatePredictor(spec);
        using var input = Inputs(indices);
        using var output = predictor.Predict(input);

        AssertLogits(expected, output.Forward);
    }

    [Fact]
    public void TorchScript_ThroughATorchScriptSpec_GivesPyTorchsLogits()
    {
        var (indices, expected) = Reference();
        var spec = new ModelSpec(ModelKinds.TorchScript, "parity", Path.Combine(Fixtures.TorchParity, "fashion-mnist-cnn.torchscript.pt"), ArgumentsJson: """{"channels": 1}""");
        using var predictor = new ModelRegistry().CreatePredictor(spec, new ModelContext(UrlAdapterRegistry.Default, [0]));
        using var input = Inputs(indices);
        using var output = predictor.Predict(input);

        AssertLogits(expected, output.Forward);
        Assert.Equal(output.Forward.data<float>().ToArray(), output.HiddenLayers[0].data<float>().ToArray());
    }

    [Fact]
    public void TorchScript_HiddenLayers_AreRefusedNamingTheSpec()
    {
        var spec = new ModelSpec(ModelKinds.TorchScript, "parity", Path.Combine(Fixtures.TorchParity, "fashion-mnist-cnn.torchscript.pt"));
        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().CreatePredictor(spec, [9]));
        Assert.Contains("torchscript 'parity'", e.Message, StringComparison.Ordinal);
        Assert.Contains("hidden layers (9) cannot be captured from a TorchScript model", e.Message, StringComparison.Ordinal);
    }
}
