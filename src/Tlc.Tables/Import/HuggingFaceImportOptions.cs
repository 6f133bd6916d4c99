namespace Tlc.Tables.Import;

/// <summary>Options of <see cref="Table.FromHuggingFaceAsync"/> (a dataset written by <c>datasets</c>' <c>save_to_disk</c>).</summary>
public sealed class HuggingFaceImportOptions : ImportOptions
{
    /// <summary>The split to import when the folder holds a <c>DatasetDict</c> (<c>dataset_dict.json</c>). Default: "train".</summary>
    public string Split { get; init; } = "train";

    /// <summary>
    /// Check every value of an <c>Image</c> feature (a record batch's images in parallel) as the other vision imports
    /// check image files: embedded bytes must be an image whose header decodes; an image stored by path (resolved against
    /// the dataset folder when relative) must exist and its header decode. A bad image is an <see cref="ImportException"/>
    /// naming the shard, the record batch, the row and the column (under the skip policy of an import job the row is left
    /// out and listed in the quarantine instead). Default: false (image values are stored unchecked).
    /// </summary>
    public bool ValidateImages { get; init; }
}
