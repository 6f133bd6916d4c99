namespace Tlc.Tables.Urls;

/// <summary>One entry of a folder listing.</summary>
/// <param name="Url">The entry's URL.</param>
/// <param name="IsFolder">True for folders (or blob prefixes).</param>
/// <param name="Length">The size in bytes; 0 for folders.</param>
/// <param name="LastModified">When it last changed, where the store says.</param>
public sealed record UrlEntry(Url Url, bool IsFolder, long Length, DateTimeOffset? LastModified);
