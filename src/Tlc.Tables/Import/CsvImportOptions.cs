namespace Tlc.Tables.Import;

/// <summary>
/// Options of <see cref="Table.FromCsvAsync"/> (3LC's <c>Table.from_csv</c>). The first row is the header (unless
/// <see cref="HasHeader"/> is false); each other row is a record. Column types are inferred from the first <see cref="InferenceRows"/> records unless
/// <see cref="ImportOptions.Schema"/> declares them; see <see cref="Table.FromCsvAsync"/> for the inference rules.
/// </summary>
public sealed class CsvImportOptions : ImportOptions
{
    /// <summary>The number of records read before the first data row to infer column types. Default: 10,000.</summary>
    public const int DefaultInferenceRows = 10_000;

    /// <summary>
    /// The field separator, or null to detect it from the header row (one of <c>,</c> <c>;</c> <c>\t</c> <c>|</c>; a header
    /// with none of them is read with <c>,</c>). Default: null (detect).
    /// </summary>
    public char? Separator { get; init; }

    /// <summary>
    /// How many records type inference reads (the input is then read again from the start to import it). Zero or less
    /// infers over every record, reading the input twice. Default: <see cref="DefaultInferenceRows"/>.
    /// </summary>
    public int InferenceRows { get; init; } = DefaultInferenceRows;

    /// <summary>Field texts read as null in addition to the empty field (e.g. "NA", "null"). Matched exactly. Default: none.</summary>
    public IReadOnlyCollection<string>? NullValues { get; init; }

    /// <summary>
    /// False when the first row is a record rather than a header: the columns are named by <see cref="ColumnNames"/>, or
    /// <c>column_1</c>, <c>column_2</c>, … after the first record's fields. Default: true.
    /// </summary>
    public bool HasHeader { get; init; } = true;

    /// <summary>
    /// The columns' names, in order: without a header, the names of the records' fields (each record must have this many);
    /// with one, they replace the header's names (the header must have as many). Default: null (the header's, or
    /// <c>column_N</c>).
    /// </summary>
    public IReadOnlyList<string>? ColumnNames { get; init; }
}
