using Tlc.Tables.Import;

namespace Tlc.Tables;

// The vision importers: image folders, COCO, YOLO and Hugging Face datasets saved to disk.
public sealed partial class Table
{
    /// <summary>
    /// Imports a folder with one sub-folder of images per class (3LC's <c>Table.from_image_folder</c>): columns <c>image</c>
    /// (the absolute URL of each file; <see cref="Schemas.ImageSampleType.Url"/>) and <c>label</c> (a categorical label whose
    /// classes are the sub-folder names sorted ordinally). Images are files ending in png, jpg, jpeg, webp, bmp or gif (any
    /// case) anywhere below a class folder; rows are ordered by class, then by path (ordinal). Lists through the URL
    /// adapters, so the folder may be any listable URL.
    /// </summary>
    /// <param name="rootPathOrUrl">The folder (a local path or URL).</param>
    /// <param name="options">Where to write and whether to check every image; default options when null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is published then.</param>
    /// <exception cref="ImportException">No class folders, or (with <see cref="ImageFolderImportOptions.ValidateImages"/>) an unreadable image.</exception>
    public static Task<Table> FromImageFolderAsync(string rootPathOrUrl, ImageFolderImportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(rootPathOrUrl);
        return ImageFolderImporter.ImportAsync(new Url(rootPathOrUrl), options ?? new ImageFolderImportOptions(), cancellationToken);
    }

    /// <summary>
    /// Imports a COCO annotation file (3LC's <c>Table.from_coco</c>): one row per entry of <c>images</c>, in the file's order,
    /// with columns <c>image</c> (URL of <paramref name="imageFolder"/>/<c>file_name</c>), <c>width</c>, <c>height</c> and
    /// <c>bbs</c> (boxes exactly as the JSON's <c>[x, y, w, h]</c>, format xywh, labels named by the categories); under
    /// <see cref="CocoTask.Segment"/> also <c>segmentations</c> (polygons as in the JSON) and, when RLE segmentations occur,
    /// <c>masks</c> (their run-length encodings); when a category declares keypoints (COCO person keypoints), <c>keypoints</c>
    /// (one instance per annotation, instance i with box i; see <see cref="CocoImportOptions.Keypoints"/>). Crowd annotations
    /// are left out unless <see cref="CocoImportOptions.IncludeIsCrowd"/>.
    /// </summary>
    /// <param name="annotationsFile">The annotation JSON (a local path or URL).</param>
    /// <param name="imageFolder">The folder <c>file_name</c>s are relative to; default: the annotation file's folder.</param>
    /// <param name="options">Task, crowd handling, validation and where to write; default options when null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is published then.</param>
    /// <exception cref="ImportException">
    /// Malformed JSON (with the line), or an inconsistent annotation (with its location, e.g. <c>annotations[4]</c>, and id):
    /// unknown image or category id, a bbox that is not finite, has no positive size or leaves the image, duplicate image or
    /// category ids, keypoints of the wrong length or with a bad visibility, and (with validation) a missing or mis-sized image.
    /// </exception>
    public static Task<Table> FromCocoAsync(string annotationsFile, string? imageFolder = null, CocoImportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationsFile);
        return CocoImporter.ImportAsync(new Url(annotationsFile), string.IsNullOrWhiteSpace(imageFolder) ? (Url?)null : new Url(imageFolder),
            options ?? new CocoImportOptions(), cancellationToken);
    }

    /// <summary>
    /// Imports a YOLO (Ultralytics) image folder with its labels (3LC's <c>Table.from_yolo_url</c>). The label file of
    /// <c>…/images/x/a.jpg</c> is <c>…/labels/x/a.txt</c> (the last <c>images</c> segment becomes <c>labels</c>); a missing one
    /// means no objects. Columns: <c>image</c> and, by <see cref="YoloImportOptions.Task"/>, <c>bbs</c> (detect, pose: the
    /// normalised centre-size boxes as written), <c>segmentations</c> (segment: polygons in pixels), <c>keypoints</c>
    /// (pose: points in pixels) and <c>obbs</c> (obb: oriented boxes in pixels from the four corners). Image sizes come
    /// from the image headers.
    /// </summary>
    /// <param name="imagesPathOrUrl">The images folder (a local path or URL).</param>
    /// <param name="categories">The class names: class id i is <paramref name="categories"/>[i].</param>
    /// <param name="options">Task, labels folder and where to write; default options when null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is published then.</param>
    /// <exception cref="ImportException">
    /// A label line with the wrong number of fields, a class id out of range, a value that is not a number or a coordinate
    /// outside [0, 1] (naming the label file and line), or an unreadable image.
    /// </exception>
    public static Task<Table> FromYoloUrlAsync(string imagesPathOrUrl, IReadOnlyList<string> categories, YoloImportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imagesPathOrUrl);
        return YoloImporter.ImportAsync(new Url(imagesPathOrUrl), categories, options ?? new YoloImportOptions(), cancellationToken);
    }

    /// <summary>
    /// Imports a dataset written by Hugging Face <c>datasets</c>' <c>save_to_disk</c>: <c>dataset_info.json</c> (features),
    /// <c>state.json</c> (the Arrow shards) and the Arrow IPC stream shards; for a <c>DatasetDict</c> folder the split
    /// <see cref="HuggingFaceImportOptions.Split"/>. Features map to columns in order: <c>ClassLabel</c> → categorical label,
    /// <c>Value</c> → scalar, <c>Sequence</c>/<c>List</c> → list, dict → struct, <c>Image</c> → PNG image column whose bytes
    /// are written as bulk data (or whose path is kept when the dataset stores no bytes).
    /// </summary>
    /// <param name="datasetFolder">The folder (a local path or URL).</param>
    /// <param name="options">The split and where to write; default options when null.</param>
    /// <param name="cancellationToken">Cancels the import; nothing is published then.</param>
    /// <exception cref="ImportException">
    /// A missing dataset_info.json or state.json, a listed data file that is missing, an unknown split, a feature type that
    /// is not supported (named), an unreadable shard or (with <see cref="HuggingFaceImportOptions.ValidateImages"/>) an image
    /// that is missing or cannot be decoded (naming the shard, record batch, row and column).
    /// </exception>
    public static Task<Table> FromHuggingFaceAsync(string datasetFolder, HuggingFaceImportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(datasetFolder);
        return HuggingFaceImporter.ImportAsync(new Url(datasetFolder), options ?? new HuggingFaceImportOptions(), cancellationToken);
    }
}
