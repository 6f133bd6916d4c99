using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a folder with one sub-folder per class (torchvision's ImageFolder layout): class names are the sub-folder
/// names sorted ordinally, label i is class i. Images are the files with an image extension anywhere below a class
/// folder; rows are ordered by class, then by the path below the class folder (ordinal). Hidden entries (names
/// starting with '.') are ignored. Columns: <c>image</c> (URL of the file) and <c>label</c>.
/// </summary>
internal static class ImageFolderImporter
{
    /// <summary>
    /// What an image-folder import decides before converting: the folder, the images in row order (with their labels and
    /// sizes in bytes), the schema (before overrides) and the provenance.
    /// </summary>
    internal sealed record ImageFolderListing(Url Root, IReadOnlyList<(UrlEntry Entry, int Label)> Images, TableSchema Schema, JsonObject Source);

    public static async Task<Table> ImportAsync(Url root, ImageFolderImportOptions options, CancellationToken cancellationToken)
    {
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
        var listing = await ListAsync(root, options, cancellationToken).ConfigureAwait(false);
        var rows = await ConvertAsync(options.EffectiveAdapters, listing.Images.Select(i => (i.Entry.Url, i.Label)).ToList(), options.ValidateImages,
            cancellationToken).ConfigureAwait(false);
        return await ImportWriting.WriteAsync(options, listing.Schema, listing.Source, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Lists the class folders and their images (once, in row order) and makes the schema (the classes) and provenance.
    /// No image is read.
    /// </summary>
    /// <exception cref="ImportException">The folder does not exist or has no class sub-folders.</exception>
    internal static async Task<ImageFolderListing> ListAsync(Url root, ImageFolderImportOptions options, CancellationToken cancellationToken)
    {
        var adapters = options.EffectiveAdapters;
        root = adapters.Expand(root);
        var classFolders = new List<Url>();
        await foreach (var entry in adapters.ListAsync(root, recursive: false, cancellationToken).ConfigureAwait(false))
        {
            if (entry.IsFolder && !entry.Url.Name.StartsWith('.'))
            {
                classFolders.Add(entry.Url);
            }
        }
        if (classFolders.Count == 0)
        {
            var exists = await adapters.ExistsAsync(root, cancellationToken).ConfigureAwait(false);
            throw new ImportException(root.Value, null,
                exists ? "no class sub-folders: an image folder holds one sub-folder of images per class" : "the folder does not exist");
        }
        classFolders.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        var classes = classFolders.Select(f => f.Name).ToList();

        var images = new List<(UrlEntry Entry, int Label)>();
        for (var label = 0; label < classFolders.Count; label++)
        {
            foreach (var image in await ImageFiles.ListEntriesAsync(adapters, classFolders[label], cancellationToken).ConfigureAwait(false))
            {
                images.Add((image, label));
            }
        }
        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["label"] = new CategoricalLabelSchema(classes),
        };
        var source = ImportProvenance.Source("image_folder", root, options, new JsonObject { ["validate_images"] = options.ValidateImages });
        return new ImageFolderListing(root, images, schema, source);
    }

    /// <summary>
    /// The rows of <paramref name="images"/>, in order; with <paramref name="validate"/> every image's header is decoded
    /// first (in parallel). Both the one-process import (all images) and an import job's chunk (a page) convert through here.
    /// </summary>
    /// <exception cref="ImportException">With <paramref name="validate"/>, a missing or unreadable image (the first in order).</exception>
    /// <remarks>
    /// With <paramref name="leaveOut"/> (the skip policy of import jobs) a missing or unreadable image is not thrown but
    /// left out and handed to <paramref name="leaveOut"/> (column <c>image</c>) with its index in <paramref name="images"/>.
    /// </remarks>
    internal static async Task<IEnumerable<(IReadOnlyDictionary<string, object?> Row, string? Origin)>> ConvertAsync(UrlAdapterRegistry adapters,
        IReadOnlyList<(Url Url, int Label)> images, bool validate, CancellationToken cancellationToken, ImageFiles.ImageQuarantine? leaveOut = null)
    {
        if (validate && leaveOut is null)
        {
            await ImageFiles.ReadSizesAsync(adapters, images.Select(i => i.Url).ToList(), null, cancellationToken).ConfigureAwait(false);
        }
        else if (validate && leaveOut is not null)
        {
            var (_, errors) = await ImageFiles.ReadSizesOrErrorsAsync(adapters, images.Select(i => i.Url).ToList(), null, cancellationToken)
                .ConfigureAwait(false);
            for (var i = 0; i < errors.Length; i++)
            {
                if (errors[i] is { } error)
                {
                    leaveOut(i, error, null, "image");
                }
            }
            images = images.Where((_, i) => errors[i] is null).ToList();
        }
        return images.Select(i => ((IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["image"] = i.Url.Value,
            ["label"] = i.Label,
        }, (string?)i.Url.Value));
    }
}
