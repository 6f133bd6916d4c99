namespace Tlc.Metrics.Tests;

/// <summary>The process-wide libtorch setting made before it loads: passive OpenMP waiting, unless the user chose.</summary>
public sealed class TorchRuntimeTests
{
    [Fact]
    public void PreferPassiveWaiting_UnsetThenUserChoice_PassiveUnlessTheUserSetOne()
    {
        var before = Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable);
        try
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, "ACTIVE");
            TorchRuntime.PreferPassiveWaiting();
            Assert.Equal("ACTIVE", Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));

            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, null);
            TorchRuntime.PreferPassiveWaiting();
            Assert.Equal(OperatingSystem.IsLinux() ? "PASSIVE" : null, Environment.GetEnvironmentVariable(TorchRuntime.WaitPolicyVariable));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TorchRuntime.WaitPolicyVariable, before);
        }
    }
}
