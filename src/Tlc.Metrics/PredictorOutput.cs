using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>What a predictor produced for a batch: the forward output and the captured hidden layers. Owns its tensors.</summary>
public sealed class PredictorOutput : IDisposable
{
    /// <summary>Creates an output; the tensors are owned by it from now on.</summary>
    public PredictorOutput(Tensor forward, IReadOnlyDictionary<int, Tensor>? hiddenLayers = null)
    {
        Forward = forward ?? throw new ArgumentNullException(nameof(forward));
        HiddenLayers = hiddenLayers ?? new Dictionary<int, Tensor>();
    }

    /// <summary>The model's output for the batch (e.g. logits), batch dimension first.</summary>
    public Tensor Forward { get; }

    /// <summary>Activations captured by forward hooks, by layer index into <c>named_modules()</c>.</summary>
    public IReadOnlyDictionary<int, Tensor> HiddenLayers { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        Forward.Dispose();
        foreach (var tensor in HiddenLayers.Values)
        {
            tensor.Dispose();
        }
    }
}
