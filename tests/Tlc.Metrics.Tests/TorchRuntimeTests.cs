using System.Runtime.InteropServices;

namespace Tlc.Metrics.Tests;

/// <summary>
/// The process-wide native settings for running models: passive OpenMP waiting, unless the user chose; freed tensor memory
/// kept for reuse.
/// </summary>
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

    [Fact]
    public void KeepTensorMemory_FortyMiBBlock_ComesFromTheHeapNotAMappingOfItsOwn()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc's malloc settings.");
        Assert.SkipWhen(Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } t && t.Contains("glibc.malloc.", StringComparison.Ordinal), "GLIBC_TUNABLES sets malloc.");
        Assert.True(TorchRuntime.KeepTensorMemory());
        // 40 MiB is above the largest threshold glibc's defaults reach by themselves (32 MiB): with them the block is a
        // mapping of its own, faulted in page by page and unmapped when freed, every time.
        const int Bytes = 40 << 20;
        var before = MappedBytes();
        var block = Marshal.AllocHGlobal(Bytes); // malloc
        try
        {
            Assert.True(MappedBytes() - before < Bytes, $"{MappedBytes() - before} bytes mapped for a {Bytes}-byte block");
        }
        finally
        {
            Marshal.FreeHGlobal(block);
        }
    }

    /// <summary>Bytes malloc holds in blocks mapped on their own (mallinfo2's hblkhd, for the whole process).</summary>
    private static long MappedBytes() => (long)MallocInfo().MappedBytes;

    [StructLayout(LayoutKind.Sequential)]
    private readonly struct MallocInfo2
    {
        public readonly nuint Arena, OrdinaryBlocks, SmallBlocks, MappedBlocks, MappedBytes, Unused1, FreeSmall, Used, Free, Keep;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern MallocInfo2 MallocInfo();

    [Fact]
    public void KeepTensorMemory_EnvironmentSetsAThreshold_LeavesItAlone()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "glibc's malloc settings.");
        var before = Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_");
        try
        {
            Environment.SetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_", "131072");
            Assert.False(TorchRuntime.KeepTensorMemory());
        }
        finally
        {
            Environment.SetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_", before);
        }
    }

    private static string? NativeValue() => Marshal.PtrToStringUTF8(GetEnvironment(TorchRuntime.WaitPolicyVariable));

    [DllImport("libc", EntryPoint = "getenv", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr GetEnvironment(string name);
}
