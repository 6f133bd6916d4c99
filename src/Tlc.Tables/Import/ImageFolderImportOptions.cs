namespace Tlc.Tables.Import;

/// <summary>Options of <see cref="Table.FromImageFolderAsync"/> (3LC's <c>Table.from_image_folder</c>).</summary>
public sealed class ImageFolderImportOptions : ImportOptions
{
    /// <summary>
    /// Decode every image's header (in parallel) before writing and fail, naming the file, on one that cannot be read.
    /// Default: false (images are listed, not opened).
    /// </summary>
    public bool ValidateImages { get; init; }
}
