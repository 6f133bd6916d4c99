using SkiaSharp;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Export;

/// <summary>Where the images of an image column are, and how large.</summary>
internal static class ImageFiles
{
    /// <summary>The URL of a stored image value: absolute as stored, relative to the table folder otherwise; aliases expanded.</summary>
    public static Url Resolve(Table table, object? stored, long row, string column, string target)
    {
        if (stored is not string s || s.Length == 0)
        {
            throw new ExportException(table.Url, target, $"row {row}, column '{column}': no image URL.");
        }
        try
        {
            return table.Expand(table.ResolveUrl(s));
        }
        catch (ArgumentException e)
        {
            throw new ExportException(table.Url, target, $"row {row}, column '{column}': bad image URL '{s}': {e.Message}", e);
        }
    }

    /// <summary>The pixel size read from the image file's header.</summary>
    public static (int Width, int Height) ReadSize(UrlAdapterRegistry adapters, Url image, Table table, long row, string target)
    {
        try
        {
            using var stream = adapters.OpenRead(image);
            using var codec = SKCodec.Create(stream)
                ?? throw new ExportException(table.Url, target, $"row {row}: {image} is not a decodable image, and the annotation holds no image size.");
            return (codec.Info.Width, codec.Info.Height);
        }
        catch (IOException e)
        {
            throw new ExportException(table.Url, target, $"row {row}: the annotation holds no image size and {image} cannot be read: {e.Message}", e);
        }
    }

    /// <summary>How a file reference is written: a local path for file URLs, else the URL.</summary>
    public static string Display(Url url) => url.IsFile ? url.LocalPath : url.Value;
}
