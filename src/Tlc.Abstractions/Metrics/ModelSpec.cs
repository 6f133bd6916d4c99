namespace Tlc.Metrics;

/// <summary>The kinds of <see cref="ModelSpec"/>.</summary>
public static class ModelKinds
{
    /// <summary>A named model factory from a plugin assembly (or built in), with optional weights.</summary>
    public const string Factory = "factory";

    /// <summary>A TorchScript file (<c>torch.jit.save</c>).</summary>
    public const string TorchScript = "torchscript";

    /// <summary>An ONNX model run with ONNX Runtime.</summary>
    public const string Onnx = "onnx";
}

/// <summary>
/// A model described so that any worker can build it: live modules cannot cross machines, specs can. Crosses grain
/// messages as plain strings.
/// </summary>
/// <param name="Kind">One of <see cref="ModelKinds"/>.</param>
/// <param name="Name">The factory name (kind factory), else a free label.</param>
/// <param name="WeightsUrl">
/// The weights: a TorchSharp <c>.dat</c>, a safetensors file or a PyTorch state dict (<c>.pt</c>/<c>.pth</c>) for factories;
/// the model file for TorchScript and ONNX. Null for a factory without weights.
/// </param>
/// <param name="ArgumentsJson">Factory arguments as a JSON object (e.g. <c>{"classes": 10}</c>), or null.</param>
/// <param name="Device">"cpu", "cuda", "cuda:N" or "auto" (CUDA when available, else CPU).</param>
[GenerateSerializer, Immutable]
public sealed record ModelSpec(
    [property: Id(0)] string Kind,
    [property: Id(1)] string Name,
    [property: Id(2)] string? WeightsUrl = null,
    [property: Id(3)] string? ArgumentsJson = null,
    [property: Id(4)] string Device = "cpu");

/// <summary>A metrics collector described by name and JSON arguments (e.g. <c>classification</c>, <c>embeddings {"layers": [5]}</c>).</summary>
/// <param name="Name">The collector name in the collector registry.</param>
/// <param name="ArgumentsJson">Its arguments as a JSON object, or null.</param>
[GenerateSerializer, Immutable]
public sealed record CollectorSpec(
    [property: Id(0)] string Name,
    [property: Id(1)] string? ArgumentsJson = null);
