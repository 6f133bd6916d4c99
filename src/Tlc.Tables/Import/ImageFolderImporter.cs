using System.Text.Json.Nodes;
using Tlc.Schemas;

namespace Tlc.Tables.Import;

/// <summary>
/// Imports a folder with one sub-folder per class (torchvision's ImageFolder layout): class names are the sub-folder
/// names sorted ordinally, label i is class i. Images are the files with an image extension anywhere below a class
/// folder; rows are ordered by class, then by the path below the class folder (ordinal). Hidden entries (names
/// starting with '.') are ignored. Columns: <c>image</c> (URL of the file) and <c>label</c>.
/// </summary>
internal static class ImageFolderImporter
{
    public static async Task<Table> ImportAsync(Url root, ImageFolderImportOptions options, CancellationToken cancellationToken)
    {
        if (await options.FindReusableAsync(cancellationToken).ConfigureAwait(false) is { } reused)
        {
            return reused;
        }
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

        var images = new List<(Url Url, int Label)>();
        for (var label = 0; label < classFolders.Count; label++)
        {
            foreach (var image in await ImageFiles.ListAsync(adapters, classFolders[label], cancellationToken).ConfigureAwait(false))
            {
                images.Add((image, label));
            }
        }
        if (options.ValidateImages)
        {
            await ImageFiles.ReadSizesAsync(adapters, images.Select(i => i.Url).ToList(), null, cancellationToken).ConfigureAwait(false);
        }

        var schema = new TableSchema
        {
            ["image"] = new ImageSchema(ImageSampleType.Url),
            ["label"] = new CategoricalLabelSchema(classes),
        };
        var source = ImportProvenance.Source("image_folder", root, options, new JsonObject { ["validate_images"] = options.ValidateImages });
        var rows = images.Select(i => ((IReadOnlyDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["image"] = i.Url.Value,
            ["label"] = i.Label,
        }, (string?)i.Url.Value));
        return await ImportWriting.WriteAsync(options, schema, source, rows, cancellationToken).ConfigureAwait(false);
    }
}
