using System.Runtime.InteropServices;

namespace Tlc.Metrics.Tests;

/// <summary>The process-wide libtorch setting made before it loads: passive OpenMP waiting, unless the user chose.</summary>
public sealed class TorchRuntimeTests
{
    [Fact]
    public void PreferPassiveWaiting_UnsetThenUserChoice_PassiveInTheNativeEnvironmentUnlessTheUserSetOne()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "The setting goes to the native environment on Linux only.");
        var before = Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable);
        var nativeBefore = NativeValue();
        try
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, "ACTIVE");
            TorchRuntime.PreferPassiveWaiting();
            Assert.Equal("ACTIVE", Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
            Assert.Equal(nativeBefore, NativeValue()); // the user's choice: nothing written

            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, null);
            TorchRuntime.PreferPassiveWaiting();
            Assert.Equal("PASSIVE", Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
            // What libtorch's OpenMP runtime reads when it loads (the native environment, not .NET's copy of it).
            Assert.Equal(nativeBefore ?? "PASSIVE", NativeValue());
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, before);
        }
    }

    private static string? NativeValue() => Marshal.PtrToStringUTF8(GetEnvironment(TorchRuntime.WaitPolicyVariable));

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr GetEnvironment(string name);
}
