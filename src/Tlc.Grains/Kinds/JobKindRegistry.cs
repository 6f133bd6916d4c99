namespace Tlc.Grains.Kinds;

/// <summary>The job kinds a silo knows (every <see cref="IJobKind"/> service), by name.</summary>
public sealed class JobKindRegistry
{
    private readonly Dictionary<string, IJobKind> _kinds;

    /// <summary>Creates the registry over the kinds registered as services.</summary>
    public JobKindRegistry(IEnumerable<IJobKind> kinds)
    {
        ArgumentNullException.ThrowIfNull(kinds);
        _kinds = new Dictionary<string, IJobKind>(StringComparer.Ordinal);
        foreach (var kind in kinds)
        {
            _kinds[kind.Name] = kind;
        }
    }

    /// <summary>The kinds' names.</summary>
    public IReadOnlyCollection<string> Names => _kinds.Keys;

    /// <summary>The kind named <paramref name="name"/>; throws naming the known kinds when there is none.</summary>
    public IJobKind Get(string name) => _kinds.TryGetValue(name, out var kind)
        ? kind
        : throw new InvalidOperationException($"No job kind '{name}' on this silo (it knows {string.Join(", ", _kinds.Keys.Order())}).");
}
