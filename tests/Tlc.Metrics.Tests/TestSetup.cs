using System.Runtime.CompilerServices;
using TorchSharp;

namespace Tlc.Metrics.Tests;

internal static class TestSetup
{
    /// <summary>One intra-op torch thread for the whole test assembly: deterministic and fair to the other tests on the machine.</summary>
    [ModuleInitializer]
    internal static void OneTorchThread() => torch.set_num_threads(1);
}
