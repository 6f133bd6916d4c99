namespace Tlc.Tables.Import;

/// <summary>
/// Options of <see cref="Table.FromParquetAsync"/>. The column schemas come from the file's Arrow schema; see
/// <see cref="Table.FromParquetAsync"/> for the mapping. <see cref="ImportOptions.Schema"/> may override columns (values are
/// then converted one by one, e.g. class names into a <c>CategoricalLabelSchema</c>).
/// </summary>
public sealed class ParquetImportOptions : ImportOptions
{
    /// <summary>Only these columns, in this order; null imports every column. Default: null.</summary>
    public IReadOnlyList<string>? Columns { get; init; }
}
