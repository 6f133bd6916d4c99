using Tlc.Tables.Urls;

namespace Tlc.Tables.Export;

/// <summary>
/// What every export shares: which rows (<see cref="WeightThreshold"/>), which columns (<see cref="Columns"/>) and where it
/// writes (<see cref="Adapters"/>). Exports publish atomically: the output appears complete or not at all.
/// </summary>
public class ExportOptions
{
    /// <summary>
    /// Rows whose sample weight (the table's <see cref="Schemas.SampleWeightSchema"/> column) is below this value are left out
    /// (3LC's <c>weight_threshold</c>). Default: null, every row is exported. A table without a weight column cannot be filtered.
    /// </summary>
    public float? WeightThreshold { get; init; }

    /// <summary>
    /// The columns to export, in this order (tabular formats: CSV, Parquet, JSON). Default: null, every column in table order.
    /// </summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The URL adapters the output is written through. Default: the table's own adapters.</summary>
    public UrlAdapterRegistry? Adapters { get; init; }

    /// <summary>
    /// Whether an existing output is replaced (atomically). Default: true. When false an existing output fails the export
    /// with <see cref="UrlAlreadyExistsException"/>.
    /// </summary>
    public bool Overwrite { get; init; } = true;

    internal WriteMode WriteMode => Overwrite ? WriteMode.Overwrite : WriteMode.CreateNew;
}
