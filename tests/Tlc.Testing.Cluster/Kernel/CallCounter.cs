using System.Collections.Concurrent;

namespace Tlc.Testing.Cluster.Kernel;

/// <summary>Counts every grain call a silo receives, by interface and method (client calls and grain-to-grain calls alike).</summary>
public sealed class CallCounter : IIncomingGrainCallFilter
{
    private readonly ConcurrentDictionary<string, long> _calls = new(StringComparer.Ordinal);

    /// <summary>Calls by "Interface.Method".</summary>
    public IReadOnlyDictionary<string, long> Calls => _calls;

    /// <summary>Calls to methods of interfaces whose name contains <paramref name="interfaceName"/>.</summary>
    public long Count(string interfaceName) => _calls.Where(kv => kv.Key.StartsWith(interfaceName + ".", StringComparison.Ordinal)).Sum(kv => kv.Value);

    /// <summary>Every call counted.</summary>
    public long Total => _calls.Values.Sum();

    /// <summary>Starts counting from zero.</summary>
    public void Reset() => _calls.Clear();

    /// <inheritdoc />
    public Task Invoke(IIncomingGrainCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _calls.AddOrUpdate($"{context.InterfaceMethod?.DeclaringType?.Name}.{context.InterfaceMethod?.Name}", 1, (_, n) => n + 1);
        return context.Invoke();
    }
}
