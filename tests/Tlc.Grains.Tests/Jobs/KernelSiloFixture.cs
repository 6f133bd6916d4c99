using Tlc.Testing;
using Tlc.Testing.Cluster.Kernel;

namespace Tlc.Grains.Tests.Jobs;

/// <summary>One in-process silo on file grain storage with a virtual job clock, shared by a test class.</summary>
public sealed class KernelSiloFixture : IAsyncLifetime
{
    private KernelSilo? _silo;

    public TempRoot Root { get; } = new("kernel");

    public KernelSilo Silo => _silo ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync() => _silo = await KernelSilo.StartAsync(Path.Combine(Root.Path, "state"));

    public async ValueTask DisposeAsync()
    {
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        Root.Dispose();
    }
}
