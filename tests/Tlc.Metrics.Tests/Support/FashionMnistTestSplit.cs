using Tlc.Tables;
using Tlc.Testing;

namespace Tlc.Metrics.Tests;

/// <summary>The Fashion-MNIST test split as a table (imported once per test class from the PNG fixture folder).</summary>
public sealed class FashionMnistTestSplit : IAsyncLifetime
{
    private readonly TempRoot _root = new("fmnist-test");

    public Table Table { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Table = await TestTables.FashionMnistTestSplitAsync(_root);

    public ValueTask DisposeAsync()
    {
        Table?.Dispose();
        _root.Dispose();
        return ValueTask.CompletedTask;
    }
}
