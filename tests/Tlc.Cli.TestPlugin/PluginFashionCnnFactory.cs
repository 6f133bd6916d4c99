using System.Text.Json.Nodes;
using Tlc.Metrics;
using static TorchSharp.torch;

namespace Tlc.Cli.TestPlugin;

/// <summary>
/// Model factory <c>test-plugin-fashion-cnn</c>: the built-in Fashion-MNIST CNN (same weights, layers and preprocessing)
/// served from a plugin folder, as a model of one's own would be. Argument <c>{"delay_ms": N}</c> (optional) sleeps N ms per
/// batch on the inference thread, so the tests can stop a worker while a job is still running.
/// </summary>
public sealed class PluginFashionCnnFactory : IModelFactory
{
    public const string FactoryName = "test-plugin-fashion-cnn";

    public string Name => FactoryName;

    public IPredictor Create(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = string.IsNullOrWhiteSpace(spec.ArgumentsJson) ? [] : JsonNode.Parse(spec.ArgumentsJson) as JsonObject ?? [];
        var delay = arguments["delay_ms"]?.GetValue<int>() ?? 0;
        arguments.Remove("delay_ms");
        var inner = new FashionMnistCnnFactory().Create(
            spec with { Name = FashionMnistCnnFactory.FactoryName, ArgumentsJson = arguments.Count == 0 ? null : arguments.ToJsonString() }, context);
        return delay > 0 ? new Slow(inner, TimeSpan.FromMilliseconds(delay)) : inner;
    }

    private sealed class Slow(IPredictor inner, TimeSpan delay) : IPredictor
    {
        public Device Device => inner.Device;

        public IReadOnlyList<int> Layers => inner.Layers;

        public Tensor Preprocess(Tlc.Tables.TableRow sample) => inner.Preprocess(sample);

        public PredictorOutput Predict(Tensor input)
        {
            Thread.Sleep(delay);
            return inner.Predict(input);
        }

        public void Dispose() => inner.Dispose();
    }
}
