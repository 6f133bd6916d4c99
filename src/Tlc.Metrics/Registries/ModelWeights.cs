using Tlc.Tables.Urls;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Loads weights into a TorchSharp module: TorchSharp's own format (<c>module.save</c>, <c>.dat</c>), PyTorch state dicts
/// saved with <c>torch.save(model.state_dict(), ...)</c> (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>) and
/// safetensors (<c>.safetensors</c>), the last two through TorchSharp.PyBridge, so weights trained in Python load into
/// the same architecture written with TorchSharp (parameter names must match). Other extensions are recognised by content.
/// </summary>
public static class ModelWeights
{
    /// <summary>The weight file formats.</summary>
    public enum Format
    {
        /// <summary>TorchSharp's <c>module.save</c> format.</summary>
        TorchSharp,

        /// <summary>A pickled PyTorch state dict (<c>torch.save</c>).</summary>
        PyTorch,

        /// <summary>A safetensors file.</summary>
        Safetensors,
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="module"/> (every parameter must match: strict).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file does not fit the module (names the file and the problem).</exception>
    public static void Load(nn.Module module, string path)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Weights file {path} does not exist.", path);
        }
        var format = Detect(path);
        try
        {
            switch (format)
            {
                case Format.PyTorch:
                    module.load_py(path, strict: true);
                    break;
                case Format.Safetensors:
                    module.load_safetensors(path, strict: true);
                    break;
                default:
                    module.load(path, strict: true);
                    break;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Weights file {path} ({format}) does not load into {module.GetType().Name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Loads the weights of <paramref name="spec"/> (<see cref="ModelSpec.WeightsUrl"/>, read through the context's URL
    /// adapters; non-file URLs are downloaded to a temporary file first) into <paramref name="module"/>.
    /// </summary>
    /// <exception cref="MetricsSpecException">The spec has no weights, or they cannot be read or loaded.</exception>
    public static void Load(nn.Module module, ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (string.IsNullOrEmpty(spec.WeightsUrl))
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)} has no weights URL.");
        }
        using var file = LocalCopy.Of(spec.WeightsUrl, context.Adapters, spec);
        try
        {
            Load(module, file.Path);
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException)
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(spec)}: {e.Message}", e);
        }
    }

    /// <summary>The format of a weights file: by extension, else by content (a zip archive is a PyTorch state dict, a JSON header a safetensors file).</summary>
    public static Format Detect(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        switch (System.IO.Path.GetExtension(path).ToLowerInvariant())
        {
            case ".dat":
                return Format.TorchSharp;
            case ".pt" or ".pth" or ".bin" or ".ckpt":
                return Format.PyTorch;
            case ".safetensors":
                return Format.Safetensors;
        }
        Span<byte> head = stackalloc byte[9];
        using (var stream = File.OpenRead(path))
        {
            var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            head = head[..n];
        }
        if (head.Length >= 2 && head[0] == (byte)'P' && head[1] == (byte)'K')
        {
            return Format.PyTorch;
        }
        if (head.Length >= 2 && head[0] == 0x80 && head[1] <= 5)
        {
            return Format.PyTorch; // a legacy (non-zip) pickle
        }
        return head.Length == 9 && head[8] == (byte)'{' ? Format.Safetensors : Format.TorchSharp;
    }
}
