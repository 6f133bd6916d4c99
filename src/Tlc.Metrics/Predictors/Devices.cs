using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Device names of model specs and predictors: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> and <c>auto</c> (CUDA when
/// <c>torch.cuda.is_available()</c>, else the CPU).
/// </summary>
/// <remarks>
/// CUDA needs the CUDA build of libtorch, which is a build switch: <c>dotnet build -p:TlcTorchBackend=cuda</c> swaps the
/// package <c>libtorch-cpu-linux-x64</c> for <c>libtorch-cuda-12.8-linux-x64</c>. That package is not served in this
/// project's package feed, so the CUDA build is unverified; with the default CPU build, <c>auto</c> always picks the CPU
/// and <c>cuda</c> fails with an error saying so.
/// </remarks>
public static class Devices
{
    /// <summary>The CPU.</summary>
    public const string Cpu = "cpu";

    /// <summary>CUDA when available, else the CPU.</summary>
    public const string Auto = "auto";

    /// <summary>Resolves a device name (case-insensitive) to a TorchSharp device.</summary>
    /// <exception cref="ArgumentException">The name is none of the accepted forms, or names CUDA where CUDA is not available.</exception>
    public static Device Resolve(string? name)
    {
        var text = (name ?? Cpu).Trim().ToLowerInvariant();
        switch (text)
        {
            case "" or Cpu:
                return CPU;
            case Auto:
                return torch.cuda.is_available() ? CUDA : CPU;
            case "cuda":
                RequireCuda(text, 0);
                return CUDA;
        }
        if (text.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            RequireCuda(text, index);
            return new Device(DeviceType.CUDA, index);
        }
        throw new ArgumentException($"Unknown device '{name}': expected cpu, cuda, cuda:N or auto.", nameof(name));
    }

    /// <summary>The canonical name of a device ("cpu", "cuda:0").</summary>
    public static string Name(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.type == DeviceType.CPU ? Cpu : $"{device.type.ToString().ToLowerInvariant()}:{Math.Max(0, device.index)}";
    }

    private static void RequireCuda(string name, int index)
    {
        if (!torch.cuda.is_available())
        {
            throw new ArgumentException(
                $"Device '{name}' asks for CUDA, which is not available: this build uses the CPU libtorch (build with -p:TlcTorchBackend=cuda on a machine with an NVIDIA GPU), or use 'auto' to fall back to the CPU.");
        }
        var count = torch.cuda.device_count();
        if (index >= count)
        {
            throw new ArgumentException($"Device '{name}' does not exist: {count} CUDA device(s) are available.");
        }
    }
}
