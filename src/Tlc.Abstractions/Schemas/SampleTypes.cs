namespace Tlc.Schemas;

/// <summary>The names of the built-in sample types (how a stored value becomes a sample on <c>table[i]</c>).</summary>
public static class SampleTypes
{
    /// <summary>A URL kept as a string on read and write.</summary>
    public const string Url = "url";

    /// <summary>An image stored as a PNG file; the column holds its URL, a read returns the decoded image.</summary>
    public const string Png = "png";

    /// <summary>An image stored as a JPEG file; the column holds its URL, a read returns the decoded image.</summary>
    public const string Jpeg = "jpeg";

    /// <summary>An image stored as a WebP file; the column holds its URL, a read returns the decoded image.</summary>
    public const string Webp = "webp";
}
