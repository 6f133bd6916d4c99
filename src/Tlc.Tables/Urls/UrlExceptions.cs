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
