using System.Runtime.InteropServices;

namespace Tlc.Metrics;

/// <summary>
/// Process-wide native settings for running models: call <see cref="PreferPassiveWaiting"/> first thing in a process that
/// runs models (the <c>tlc</c> command, a worker process), before libtorch loads; <see cref="KeepTensorMemory"/> any time
/// before inference (every <see cref="InferenceThread"/> calls it).
/// </summary>
public static class TorchRuntime
{
    /// <summary>Allocations at least this large get pages of their own from the kernel (glibc's <c>M_MMAP_THRESHOLD</c>): 64 MiB.</summary>
    public const int MmapThresholdBytes = 64 << 20;

    /// <summary>Free memory at the top of a malloc arena kept for reuse before it goes back to the kernel (glibc's <c>M_TRIM_THRESHOLD</c>): 256 MiB.</summary>
    public const int TrimThresholdBytes = 256 << 20;

    private const int MallocTrimThreshold = -1;
    private const int MallocArenaMax = -8;
    private const int MallocMmapThreshold = -3;

    /// <summary>The OpenMP setting of how idle threads wait: <c>PASSIVE</c> sleeps, <c>ACTIVE</c> spins.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    /// <summary>
    /// Makes libtorch's OpenMP threads sleep instead of spinning between forward passes, unless <c>OMP_WAIT_POLICY</c> is
    /// set already. Spinning threads take the cores the decode threads need: on 2 cores a collect job used about 30% more
    /// CPU and up to 40% more time with them (benchmark <c>shards</c>). Has no effect once libtorch is loaded. Linux only
    /// (the variable goes to the native environment, which .NET's own <see cref="Environment.SetEnvironmentVariable(string, string)"/>
    /// does not reach there).
    /// </summary>
    public static void PreferPassiveWaiting()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(WaitPolicyVariable) is { Length: > 0 })
        {
            return;
        }
        if (SetEnvironment(WaitPolicyVariable, "PASSIVE", 0) == 0)
        {
            Environment.SetEnvironmentVariable(WaitPolicyVariable, "PASSIVE");
        }
    }

    /// <summary>
    /// Keeps the memory of freed tensors in the process for the next batch instead of handing it back to the kernel: sets
    /// glibc's mmap threshold to <see cref="MmapThresholdBytes"/> and its trim threshold to <see cref="TrimThresholdBytes"/>,
    /// and caps its arenas at one per core (<c>MALLOC_ARENA_MAX</c> takes precedence), so what is kept stays bounded, unless <c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c> or <c>GLIBC_TUNABLES</c> set them. With glibc's
    /// defaults, an activation tensor of a batch (a few MiB) was mapped, faulted in page by page and unmapped again on every
    /// batch whenever glibc's self-adjusting thresholds had not yet risen past it: the same collect job then spent 1 or 11 s
    /// of kernel time in its inference thread, and took 8 or 24 s, by chance (benchmark <c>shards</c>). Returns whether
    /// the settings were applied (false off glibc or when the environment sets them).
    /// </summary>
    public static bool KeepTensorMemory()
    {
        if (!OperatingSystem.IsLinux()
            || Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is { Length: > 0 }
            || Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } tunables && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
        {
            return false;
        }
        try
        {
            // Both at once: setting either one stops glibc adjusting the other. At most one arena per core (glibc's default is
            // eight): each arena keeps up to the trim threshold of freed memory, and a worker starts a thread per job.
            var arenas = Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 } || MallocOption(MallocArenaMax, Environment.ProcessorCount) == 1;
            return MallocOption(MallocMmapThreshold, MmapThresholdBytes) == 1 && MallocOption(MallocTrimThreshold, TrimThresholdBytes) == 1 && arenas;
        }
        catch (EntryPointNotFoundException)
        {
            return false; // a C library without mallopt (musl)
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int MallocOption(int parameter, int value);

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetEnvironment(string name, string value, int overwrite);
}
