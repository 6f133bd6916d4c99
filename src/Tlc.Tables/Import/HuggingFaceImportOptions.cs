namespace Tlc.Tables.Import;

/// <summary>Options of <see cref="Table.FromHuggingFaceAsync"/> (a dataset written by <c>datasets</c>' <c>save_to_disk</c>).</summary>
public sealed class HuggingFaceImportOptions : ImportOptions
{
    /// <summary>The split to import when the folder holds a <c>DatasetDict</c> (<c>dataset_dict.json</c>). Default: "train".</summary>
    public string Split { get; init; } = "train";
}
