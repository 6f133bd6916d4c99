using System.Runtime.InteropServices;

namespace Tlc.Metrics;

/// <summary>
/// Process-wide settings libtorch reads once, when it loads: call <see cref="PreferPassiveWaiting"/> first thing in a
/// process that runs models (the <c>tlc</c> command, a worker process).
/// </summary>
public static class TorchRuntime
{
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

    [DllImport("libc", EntryPoint = "setenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetEnvironment(string name, string value, int overwrite);
}
