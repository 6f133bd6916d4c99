using System.Text;

namespace Tlc;

/// <summary>
/// A normalised URL as Tlc stores and resolves them: <c>file:///abs/path</c>, <c>azure://container/path</c>,
/// <c>http(s)://host/path</c> or any registered scheme. Plain local paths become <c>file://</c> URLs.
/// Paths are normalised ("." and ".." segments resolved); a ".." above the URL's root is refused.
/// Alias tokens such as <c>&lt;DATA&gt;</c> are left as they are (they are expanded when the URL is resolved).
/// </summary>
public readonly record struct Url : IComparable<Url>
{
    private readonly string? _value;

    /// <summary>Parses and normalises <paramref name="value"/>.</summary>
    public Url(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = Normalize(value);
    }

    /// <summary>The normalised text.</summary>
    public string Value => _value ?? throw new InvalidOperationException("An empty Url has no value.");

    /// <summary>The scheme in lower case ("file", "azure", "https", ...), or "" for a URL that starts with an alias token.</summary>
    public string Scheme
    {
        get
        {
            var i = Value.IndexOf("://", StringComparison.Ordinal);
            return i < 0 ? "" : Value[..i].ToLowerInvariant();
        }
    }

    /// <summary>True for <c>file://</c> URLs.</summary>
    public bool IsFile => Scheme == "file";

    /// <summary>The local path of a <c>file://</c> URL.</summary>
    public string LocalPath => IsFile
        ? Value["file://".Length..]
        : throw new InvalidOperationException($"'{Value}' is not a file URL.");

    /// <summary>The last path segment (file or folder name).</summary>
    public string Name
    {
        get
        {
            var path = Value.TrimEnd('/');
            return path[(path.LastIndexOf('/') + 1)..];
        }
    }

    /// <summary>The URL of the containing folder.</summary>
    public Url Parent
    {
        get
        {
            var (prefix, segments) = Split(Value);
            if (segments.Count == 0)
            {
                throw new InvalidOperationException($"'{Value}' has no parent.");
            }
            return new Url(prefix + string.Join('/', segments.Take(segments.Count - 1)));
        }
    }

    /// <summary>Creates a <c>file://</c> URL from a local path (made absolute).</summary>
    public static Url FromLocalPath(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return new Url("file://" + Path.GetFullPath(path).Replace('\\', '/'));
    }

    /// <summary>Joins a relative path ("a/b", "../t2/object.tlc.json"). A ".." above the URL's root is refused.</summary>
    public Url Join(string relative)
    {
        ArgumentNullException.ThrowIfNull(relative);
        if (relative.Length == 0)
        {
            return this;
        }
        if (IsAbsolute(relative))
        {
            throw new ArgumentException($"'{relative}' is not a relative path.", nameof(relative));
        }
        return new Url(Value.TrimEnd('/') + "/" + relative.Replace('\\', '/'));
    }

    /// <summary>
    /// The relative path from the folder <paramref name="folder"/> to this URL ("t/x.arrow", "../t2"), or null when the two
    /// do not share a scheme and authority.
    /// </summary>
    public string? RelativeTo(Url folder)
    {
        var (prefixA, segA) = Split(Value);
        var (prefixB, segB) = Split(folder.Value);
        if (prefixA != prefixB)
        {
            return null;
        }
        var common = 0;
        while (common < segA.Count && common < segB.Count && segA[common] == segB[common])
        {
            common++;
        }
        var parts = Enumerable.Repeat("..", segB.Count - common).Concat(segA.Skip(common));
        var relative = string.Join('/', parts);
        return relative.Length == 0 ? "." : relative;
    }

    /// <summary>True when this URL is <paramref name="folder"/> or inside it.</summary>
    public bool IsWithin(Url folder)
    {
        var f = folder.Value.TrimEnd('/');
        return Value == f || Value.StartsWith(f + "/", StringComparison.Ordinal);
    }

    /// <summary>True when <paramref name="text"/> is an absolute URL or path rather than a relative path.</summary>
    public static bool IsAbsolute(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Contains("://", StringComparison.Ordinal) || text.StartsWith('/') || text.StartsWith('<')
            || (text.Length > 2 && text[1] == ':' && (text[2] == '\\' || text[2] == '/'));
    }

    /// <inheritdoc />
    public int CompareTo(Url other) => string.CompareOrdinal(Value, other.Value);

    /// <inheritdoc />
    public override string ToString() => _value ?? "";

    /// <summary>Converts a string to a URL.</summary>
    public static implicit operator Url(string value) => new(value);

    private static string Normalize(string value)
    {
        value = value.Trim();
        if (!value.Contains("://", StringComparison.Ordinal) && !value.StartsWith('<'))
        {
            // A local path.
            value = "file://" + Path.GetFullPath(value).Replace('\\', '/');
        }
        var (prefix, segments) = Split(value);
        var resolved = new List<string>(segments.Count);
        foreach (var segment in segments)
        {
            if (segment is "" or ".")
            {
                continue;
            }
            if (segment == "..")
            {
                if (resolved.Count == 0)
                {
                    throw new ArgumentException($"The URL '{value}' climbs above its root with '..'.", nameof(value));
                }
                resolved.RemoveAt(resolved.Count - 1);
                continue;
            }
            resolved.Add(segment);
        }
        var sb = new StringBuilder(prefix);
        sb.AppendJoin('/', resolved);
        return sb.ToString();
    }

    /// <summary>
    /// Splits into the fixed prefix ("file:///", "azure://container/", "https://host/", "&lt;ALIAS&gt;/") and the path segments.
    /// </summary>
    private static (string Prefix, List<string> Segments) Split(string value)
    {
        string prefix;
        string path;
        var schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            var scheme = value[..schemeEnd].ToLowerInvariant();
            var rest = value[(schemeEnd + 3)..];
            if (scheme == "file")
            {
                prefix = "file:///";
                path = rest.TrimStart('/');
            }
            else
            {
                var slash = rest.IndexOf('/');
                var authority = slash < 0 ? rest : rest[..slash];
                prefix = $"{scheme}://{authority}/";
                path = slash < 0 ? "" : rest[(slash + 1)..];
            }
        }
        else
        {
            // Starts with an alias token: <NAME>/rest
            var close = value.IndexOf('>');
            if (close < 0)
            {
                throw new ArgumentException($"The URL '{value}' has an unclosed alias token.", nameof(value));
            }
            prefix = value[..(close + 1)] + "/";
            path = value[(close + 1)..].TrimStart('/');
        }
        return (prefix, path.Split('/').ToList());
    }
}
