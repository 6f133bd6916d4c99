namespace Tlc.Tables.Export;

/// <summary>What an export wrote.</summary>
/// <param name="Target">The file or folder written.</param>
/// <param name="Rows">The rows exported.</param>
/// <param name="SkippedRows">The rows left out by <see cref="ExportOptions.WeightThreshold"/>.</param>
public sealed record ExportResult(Url Target, long Rows, long SkippedRows);
