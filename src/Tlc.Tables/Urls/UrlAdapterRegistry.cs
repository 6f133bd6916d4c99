using System.Collections.Concurrent;

namespace Tlc.Tables.Urls;

/// <summary>
/// Finds the adapter for a URL's scheme after expanding alias tokens. <see cref="Default"/> serves <c>file://</c>,
/// <c>http(s)://</c> (read-only), <c>azure://</c> (when a connection string is configured) and <c>s3://</c> (once the
/// settings are applied, <see cref="Configuration.TlcConfiguration.Apply"/>); register more with
/// <see cref="Register"/>. <see cref="Reset"/> restores the built-ins (for tests).
/// </summary>
public sealed class UrlAdapterRegistry
{
    private readonly ConcurrentDictionary<string, IUrlAdapter> _adapters = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates a registry with the built-in adapters.</summary>
    public UrlAdapterRegistry(UrlAliases? aliases = null)
    {
        Aliases = aliases ?? new UrlAliases();
        RegisterBuiltIns();
    }

    /// <summary>The process-wide registry.</summary>
    public static UrlAdapterRegistry Default { get; } = new();

    /// <summary>The alias tokens expanded before an adapter is chosen.</summary>
    public UrlAliases Aliases { get; }

    /// <summary>
    /// The folders <c>file://</c> URLs may name, or null (the default) for any. When set, every operation on a file URL
    /// outside them — after alias expansion, <c>..</c> and symbolic links — fails with <see cref="UrlOutsideRootsException"/>.
    /// </summary>
    public FileRoots? FileRoots { get; set; }

    /// <summary>Refuses <paramref name="url"/> (aliases expanded) when <see cref="FileRoots"/> does not allow it; returns the expanded URL.</summary>
    /// <exception cref="UrlOutsideRootsException">A file URL outside the allowed folders.</exception>
    public Url Check(Url url)
    {
        var expanded = Expand(url);
        FileRoots?.Check(expanded);
        return expanded;
    }

    /// <summary>Registers (or replaces) the adapter of each of its schemes.</summary>
    public void Register(IUrlAdapter adapter)
    {
        ArgumentNullException.ThrowIfNull(adapter);
        foreach (var scheme in adapter.Schemes)
        {
            _adapters[scheme] = adapter;
        }
    }

    /// <summary>How long a project's aliases read from its folder are used before the file is read again.</summary>
    private static readonly TimeSpan ProjectAliasesFresh = TimeSpan.FromSeconds(5);

    private readonly ConcurrentDictionary<string, (long ReadAt, UrlAliases Aliases)> _projectAliases = new(StringComparer.Ordinal);

    /// <summary>
    /// The aliases that apply to URLs of the table at <paramref name="tableUrl"/>: <see cref="Aliases"/> with its project's
    /// (<see cref="ProjectAliases"/>; the file is read at most every few seconds per project).
    /// </summary>
    /// <exception cref="FormatException">The project's alias file cannot be read as aliases.</exception>
    public async Task<UrlAliases> AliasesForAsync(Url tableUrl, CancellationToken cancellationToken = default)
    {
        if (ProjectAliases.ProjectFolderOf(tableUrl) is not { } project)
        {
            return Aliases;
        }
        var key = project.Value;
        var now = Environment.TickCount64;
        if (_projectAliases.TryGetValue(key, out var cached) && now - cached.ReadAt < (long)ProjectAliasesFresh.TotalMilliseconds)
        {
            return cached.Aliases;
        }
        var aliases = Aliases.WithProject(await ProjectAliases.ReadAsync(this, project, cancellationToken).ConfigureAwait(false));
        _projectAliases[key] = (now, aliases);
        return aliases;
    }

    /// <summary>Drops the cached aliases of a project folder (after its file changed).</summary>
    internal void ForgetProjectAliases(Url projectFolder) => _projectAliases.TryRemove(projectFolder.Value, out _);

    /// <summary>Removes custom adapters and code-defined aliases, restoring the built-ins.</summary>
    public void Reset()
    {
        _adapters.Clear();
        _projectAliases.Clear();
        Aliases.Reset();
        FileRoots = null;
        RegisterBuiltIns();
    }

    /// <summary>Expands aliases in <paramref name="url"/>.</summary>
    public Url Expand(Url url) => Aliases.Expand(url);

    /// <summary>Expands aliases and returns the adapter serving the URL together with the expanded URL.</summary>
    public (IUrlAdapter Adapter, Url Url) Resolve(Url url)
    {
        var expanded = Check(url);
        var scheme = expanded.Scheme;
        if (_adapters.TryGetValue(scheme, out var adapter))
        {
            return (adapter, expanded);
        }
        if (scheme == "azure")
        {
            throw new InvalidOperationException(
                $"No Azure Blob adapter for '{expanded}': set the connection string (config 'azure.connection_string' or TLC_AZURE__CONNECTION_STRING).");
        }
        if (scheme == S3UrlAdapter.Scheme)
        {
            throw new InvalidOperationException(
                $"No S3 adapter for '{expanded}': apply the settings to this registry (TlcConfiguration.Apply) or register an S3UrlAdapter.");
        }
        throw new NotSupportedException($"No URL adapter for the scheme '{scheme}' of '{expanded}'. Registered: {string.Join(", ", _adapters.Keys.Order())}.");
    }

    /// <summary>The adapter serving <paramref name="url"/>.</summary>
    public IUrlAdapter For(Url url) => Resolve(url).Adapter;

    /// <inheritdoc cref="IUrlAdapter.OpenRead"/>
    public Stream OpenRead(Url url)
    {
        var (adapter, u) = Resolve(url);
        return adapter.OpenRead(u);
    }

    /// <inheritdoc cref="IUrlAdapter.OpenReadAsync"/>
    public Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken)
    {
        var (adapter, u) = Resolve(url);
        return adapter.OpenReadAsync(u, cancellationToken);
    }

    /// <inheritdoc cref="IUrlAdapter.ReadAllBytesAsync"/>
    public Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken)
    {
        var (adapter, u) = Resolve(url);
        return adapter.ReadAllBytesAsync(u, cancellationToken);
    }

    /// <inheritdoc cref="IUrlAdapter.Exists"/>
    public bool Exists(Url url)
    {
        var (adapter, u) = Resolve(url);
        return adapter.Exists(u);
    }

    /// <inheritdoc cref="IUrlAdapter.ExistsAsync"/>
    public Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken)
    {
        var (adapter, u) = Resolve(url);
        return adapter.ExistsAsync(u, cancellationToken);
    }

    /// <inheritdoc cref="IUrlAdapter.OpenWrite"/>
    public UrlWriteStream OpenWrite(Url url, WriteMode mode)
    {
        var (adapter, u) = ResolveWritable(url);
        return adapter.OpenWrite(u, mode);
    }

    /// <inheritdoc cref="IUrlAdapter.WriteAllBytesAsync"/>
    public Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken)
    {
        var (adapter, u) = ResolveWritable(url);
        return adapter.WriteAllBytesAsync(u, data, mode, cancellationToken);
    }

    /// <inheritdoc cref="IUrlAdapter.ListAsync"/>
    public IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, CancellationToken cancellationToken)
    {
        var (adapter, u) = Resolve(folder);
        return adapter.ListAsync(u, recursive, cancellationToken);
    }

    /// <inheritdoc cref="IUrlAdapter.DeleteAsync"/>
    public Task DeleteAsync(Url url, CancellationToken cancellationToken)
    {
        var (adapter, u) = ResolveWritable(url);
        return adapter.DeleteAsync(u, cancellationToken);
    }

    private (IUrlAdapter Adapter, Url Url) ResolveWritable(Url url)
    {
        var resolved = Resolve(url);
        if (resolved.Adapter.IsReadOnly)
        {
            throw new NotSupportedException($"'{resolved.Url}' is read-only: the {resolved.Url.Scheme} adapter cannot write.");
        }
        return resolved;
    }

    private void RegisterBuiltIns()
    {
        Register(new FileUrlAdapter());
        Register(new HttpUrlAdapter());
    }
}
