using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Model specs of kind <see cref="ModelKinds.TorchScript"/>: a file saved with <c>torch.jit.save</c> (traced or scripted
/// in Python) whose forward takes one tensor and returns one. Arguments (all optional) choose the preprocessing of
/// images: <c>{"image_column": "image", "channels": 1, "mean": [0.5], "std": [0.5]}</c> (see
/// <see cref="ImagePreprocessing.ToTensor"/>). Hidden layers of a TorchScript model cannot be hooked: only layer 0 (the
/// model's output) can be captured.
/// </summary>
public static class TorchScriptModels
{
    /// <summary>Loads a TorchScript model file as a module taking and returning one tensor (on the CPU).</summary>
    public static jit.ScriptModule<Tensor, Tensor> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"TorchScript file {path} does not exist.", path);
        }
        try
        {
            return jit.load<Tensor, Tensor>(path, CPU);
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path} is not a loadable TorchScript file: {e.Message}", e);
        }
    }

    /// <summary>The predictor of a TorchScript spec (for <see cref="ModelRegistry"/>).</summary>
    public static IPredictor CreatePredictor(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(spec.WeightsUrl))
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)} has no TorchScript file (WeightsUrl).");
        }
        if (context.Layers.Any(l => l != 0))
        {
            throw new MetricsSpecException(
                $"Model spec {ModelRegistry.Describe(spec)}: hidden layers ({string.Join(", ", context.Layers)}) cannot be captured from a TorchScript model; only layer 0 (its output) can.");
        }
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"model spec {ModelRegistry.Describe(spec)}");
        arguments.RejectUnknown("image_column", "channels", "mean", "std");
        var preprocess = ImagePreprocessing.FromColumn(
            arguments.String("image_column") ?? ImagePreprocessing.DefaultColumn,
            arguments.Int("channels") ?? 0,
            arguments.Floats("mean"),
            arguments.Floats("std"));
        jit.ScriptModule<Tensor, Tensor> model;
        using (var file = LocalCopy.Of(spec.WeightsUrl, context.Adapters, spec))
        {
            try
            {
                model = Load(file.Path);
            }
            catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
            {
                throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)}: {e.Message}", e);
            }
        }
        return new Predictor(model, context.Layers, preprocess, spec.Device, ownsModel: true);
    }
}
