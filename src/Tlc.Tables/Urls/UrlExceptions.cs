namespace Tlc.Tables.Urls;

/// <summary>Nothing exists at a URL that was read.</summary>
public sealed class UrlNotFoundException(Url url, Exception? inner = null)
    : IOException($"Not found: {url}", inner)
{
    /// <summary>The URL.</summary>
    public Url Url { get; } = url;
}

/// <summary>A create-if-absent write found something already at the URL.</summary>
public sealed class UrlAlreadyExistsException(Url url, Exception? inner = null)
    : IOException($"Already exists: {url}", inner)
{
    /// <summary>The URL.</summary>
    public Url Url { get; } = url;
}

/// <summary>A <c>file://</c> URL names a file outside the folders this process may read and write (<see cref="FileRoots"/>).</summary>
public sealed class UrlOutsideRootsException(Url url, IReadOnlyList<string> roots, string reason)
    : UnauthorizedAccessException($"{url} is outside the allowed folders ({reason}); allowed: {(roots.Count == 0 ? "none" : string.Join(", ", roots))}. Add a folder with security.file_roots.")
{
    /// <summary>The URL.</summary>
    public Url Url { get; } = url;

    /// <summary>The allowed folders.</summary>
    public IReadOnlyList<string> Roots { get; } = roots;
}

/// <summary>The bucket (or container) a URL names does not exist in its store.</summary>
public sealed class UrlContainerNotFoundException(Url url, string container, string message, Exception? inner = null)
    : IOException(message, inner)
{
    /// <summary>The URL.</summary>
    public Url Url { get; } = url;

    /// <summary>The missing bucket or container.</summary>
    public string Container { get; } = container;
}

/// <summary>The store behind a URL refused the request: wrong or missing credentials, or no permission.</summary>
public sealed class UrlAccessDeniedException(Url url, string message, Exception? inner = null)
    : UnauthorizedAccessException(message, inner)
{
    /// <summary>The URL.</summary>
    public Url Url { get; } = url;
}
