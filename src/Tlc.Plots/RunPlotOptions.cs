namespace Tlc.Plots;

/// <summary>What <see cref="RunPlots.WriteAsync(ClusterContext, string, string, RunPlotOptions?, CancellationToken)"/> draws and where.</summary>
public sealed class RunPlotOptions
{
    /// <summary>The folder the PNG files go to (any URL the adapters write); default: <c>plots/</c> in the run's folder.</summary>
    public Url? OutputFolder { get; init; }

    /// <summary>Image width in pixels (default 800).</summary>
    public int Width { get; init; } = 800;

    /// <summary>Image height in pixels (default 500).</summary>
    public int Height { get; init; } = 500;

    /// <summary>Scatter only the metrics table whose <c>epoch</c> constant is this (default: the latest table with a 2-D embedding).</summary>
    public long? Epoch { get; init; }

    /// <summary>Scatter only metrics tables of this stream (split), e.g. <c>test</c>.</summary>
    public string? Stream { get; init; }

    /// <summary>
    /// The 2-D embedding column to scatter (default: the metrics table's fixed-size 2-value float32 list column, preferring
    /// names ending in <c>_pca</c>, <c>_pacmap</c>, <c>_umap</c> or <c>_2d</c>).
    /// </summary>
    public string? EmbeddingColumn { get; init; }

    /// <summary>
    /// The column that colours the scatter (default: the input table's categorical label column — <c>label</c> when it
    /// has several — else the metrics table's <c>label</c> or <c>predicted</c>).
    /// </summary>
    public string? LabelColumn { get; init; }

    /// <summary>
    /// A TrueType/OpenType font file for the charts' text. Default: the system's default font when SkiaSharp's font manager
    /// has one, else the first common sans font found in the usual font folders (e.g. DejaVu Sans); without any, charts
    /// are drawn without text and <see cref="RunPlotResult.Notes"/> says so.
    /// </summary>
    public string? FontFile { get; init; }
}
