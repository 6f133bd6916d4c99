namespace Tlc.Tables.Import;

/// <summary>
/// Options of <see cref="Table.FromNdjsonAsync"/>: newline-delimited JSON, one object per line. Columns and types are
/// inferred from the first <see cref="InferenceLines"/> lines unless <see cref="ImportOptions.Schema"/> declares them; see
/// <see cref="Table.FromNdjsonAsync"/> for the inference rules.
/// </summary>
public sealed class NdjsonImportOptions : ImportOptions
{
    /// <summary>The number of non-blank lines read to infer columns and types. Default: 10,000.</summary>
    public const int DefaultInferenceLines = 10_000;

    /// <summary>
    /// How many non-blank lines inference reads (the input is then read again from the start to import it). Zero or less
    /// infers over every line, reading the input twice. Default: <see cref="DefaultInferenceLines"/>.
    /// </summary>
    public int InferenceLines { get; init; } = DefaultInferenceLines;
}
