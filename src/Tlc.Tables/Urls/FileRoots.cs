namespace Tlc.Tables.Urls;

/// <summary>
/// The local folders <c>file://</c> URLs may name in a process that acts on URLs sent by others (the HTTP host, workers):
/// a URL is allowed when its path — <c>..</c> segments resolved and every symbolic link followed — lies inside one of
/// them (the folders' own links followed too). Set it on a registry with <see cref="UrlAdapterRegistry.FileRoots"/>.
/// </summary>
public sealed class FileRoots
{
    private const int MaxLinks = 40;
    private readonly string[] _real;

    /// <summary>Allows the files under each of <paramref name="folders"/> (local paths or <c>file://</c> URLs).</summary>
    public FileRoots(IEnumerable<string> folders)
    {
        ArgumentNullException.ThrowIfNull(folders);
        Folders = [.. folders.Select(f => Path.TrimEndingDirectorySeparator(Path.GetFullPath(f.StartsWith("file:", StringComparison.OrdinalIgnoreCase) ? new Url(f).LocalPath : f)))
            .Distinct(StringComparer.Ordinal)];
        _real = [.. Folders.Select(RealPath).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The allowed folders, as configured (absolute).</summary>
    public IReadOnlyList<string> Folders { get; }

    /// <summary>True when <paramref name="url"/> is not a file URL, or its file lies inside an allowed folder.</summary>
    public bool Allows(Url url) => Why(url) is null;

    /// <summary>Refuses a file URL outside the allowed folders.</summary>
    /// <exception cref="UrlOutsideRootsException">The URL's path, or what a symbolic link on it points to, lies outside every allowed folder.</exception>
    public void Check(Url url)
    {
        if (Why(url) is { } reason)
        {
            throw new UrlOutsideRootsException(url, Folders, reason);
        }
    }

    private string? Why(Url url)
    {
        if (!url.IsFile)
        {
            return null;
        }
        var full = Path.GetFullPath(url.LocalPath);
        var real = RealPath(full);
        if (_real.Any(root => Inside(real, root)))
        {
            return null;
        }
        return Folders.Any(root => Inside(full, root)) || _real.Any(root => Inside(full, root))
            ? $"it resolves through a symbolic link to {real}"
            : $"its path is {full}";
    }

    private static bool Inside(string path, string root) =>
        path == root || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>
    /// <paramref name="path"/> with every symbolic link among its existing components replaced by its target (what
    /// <c>realpath</c> answers; components that do not exist are kept as they are).
    /// </summary>
    public static string RealPath(string path)
    {
        var links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    private static string Resolve(string full, ref int links)
    {
        var root = Path.GetPathRoot(full) ?? "/";
        var current = root;
        var parts = full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var next = Path.Combine(current, parts[i]);
            FileSystemInfo info = new FileInfo(next);
            if (info.LinkTarget is { } target)
            {
                if (++links > MaxLinks)
                {
                    throw new IOException($"Too many symbolic links under {full}.");
                }
                var resolved = Path.GetFullPath(target, current);
                next = Resolve(resolved, ref links);
            }
            else if (!info.Exists && !Directory.Exists(next))
            {
                // Nothing further exists: the rest cannot be a link.
                return Path.GetFullPath(Path.Combine([next, .. parts[(i + 1)..]]));
            }
            current = next;
        }
        return Path.TrimEndingDirectorySeparator(current);
    }
}
