using Tlc.Schemas;
using Tlc.Tables.Storage;

namespace Tlc.Tables.Urls;

/// <summary>
/// The one rule for the URL values a table stores (image and mask columns), so that a root moves whole and a project
/// moves between machines by changing an alias:
/// <list type="bullet">
/// <item>a URL inside the table's containment folder (the root, for a table in the root's layout) is stored relative to
/// the table folder (<c>../../bulk_data/train/…/00000001.png</c>);</item>
/// <item>else, a URL inside the value of a known alias is stored with its token (<c>&lt;DATA&gt;/images/a.png</c>), the
/// longest matching alias value winning;</item>
/// <item>else it is stored as given.</item>
/// </list>
/// Relative values are read against the folder of the table reading them (a derived table in another folder reads its
/// parents' values rebased to its own folder), aliases are expanded on read.
/// </summary>
public sealed class StoredUrls
{
    private readonly Url _table;
    private readonly Url _containment;
    private readonly (string Token, string Prefix)[] _aliases;

    /// <summary>The rule for values stored in the table at <paramref name="tableFolder"/>, with the aliases of <paramref name="aliases"/>.</summary>
    public StoredUrls(Url tableFolder, UrlAliases? aliases)
    {
        _table = tableFolder;
        _containment = TableLayout.Containment(tableFolder);
        var known = new List<(string, string)>();
        foreach (var (name, value) in aliases?.All() ?? new Dictionary<string, string>())
        {
            if (Prefix(value) is { } prefix)
            {
                known.Add(($"<{name}>", prefix));
            }
        }
        // Longest value first: <DATA_IMAGES> (/data/images) wins over <DATA> (/data).
        _aliases = [.. known.OrderByDescending(a => a.Item2.Length).ThenBy(a => a.Item1, StringComparer.Ordinal)];
    }

    /// <summary>True for the columns whose values are URLs of files (images, segmentation masks).</summary>
    public static bool HoldsUrls(ColumnSchema schema) => schema is ImageSchema or SemanticSegmentationSchema;

    /// <summary>The form of <paramref name="value"/> to store (see the class remarks); relative and aliased values are kept as they are.</summary>
    public string ToStored(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0 || value[0] == '<' || !Url.IsAbsolute(value))
        {
            return value;
        }
        Url url;
        try
        {
            url = new Url(value);
        }
        catch (ArgumentException)
        {
            return value;
        }
        if (url.IsWithin(_containment) && url.RelativeTo(_table) is { } relative)
        {
            return relative;
        }
        foreach (var (token, prefix) in _aliases)
        {
            if (url.Value.StartsWith(prefix, StringComparison.Ordinal) && url.Value.Length > prefix.Length && url.Value[prefix.Length] == '/')
            {
                return token + url.Value[prefix.Length..];
            }
        }
        return value;
    }

    /// <summary>The URL a stored value of the table at <paramref name="tableFolder"/> names: as it is when absolute or aliased, else relative to the folder.</summary>
    /// <exception cref="ArgumentException">The value is no URL, or climbs out of the URL's root.</exception>
    public static Url Resolve(string stored, Url tableFolder)
    {
        ArgumentException.ThrowIfNullOrEmpty(stored);
        return Url.IsAbsolute(stored) ? new Url(stored) : tableFolder.Join(stored);
    }

    /// <summary>
    /// <paramref name="stored"/>, a value stored in the table at <paramref name="from"/>, as the table at
    /// <paramref name="to"/> would store it: a relative value is rebased (or made absolute when no relative path joins the
    /// two); other values are kept.
    /// </summary>
    public static string Rebase(string stored, Url from, Url to)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Length == 0 || Url.IsAbsolute(stored))
        {
            return stored;
        }
        Url url;
        try
        {
            url = Resolve(stored, from);
        }
        catch (ArgumentException)
        {
            return stored;
        }
        return url.RelativeTo(to) ?? url.Value;
    }

    /// <summary>The normalised URL text an alias value stands for, without a trailing slash; null when it is no URL.</summary>
    private static string? Prefix(string value)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Contains('<', StringComparison.Ordinal) || !Url.IsAbsolute(value))
        {
            return null;
        }
        try
        {
            var prefix = new Url(value).Value.TrimEnd('/');
            // A bare scheme or file system root ("file://", "/") would alias everything.
            return prefix.EndsWith(':') || prefix.EndsWith("//", StringComparison.Ordinal) || prefix.Length < 3 ? null : prefix;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}
