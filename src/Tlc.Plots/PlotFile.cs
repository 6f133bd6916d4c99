namespace Tlc.Plots;

/// <summary>What a chart shows.</summary>
public enum PlotKind
{
    /// <summary>Logged aggregates (one line each) across epochs or steps.</summary>
    Aggregates,

    /// <summary>A metrics table's 2-D reduced embeddings, one point per example, coloured by label.</summary>
    Embeddings,
}

/// <summary>One PNG file written by <see cref="RunPlots"/>.</summary>
/// <param name="Url">Where it was written.</param>
/// <param name="Kind">What it shows.</param>
/// <param name="Title">The chart's title.</param>
/// <param name="Description">One sentence: what is plotted against what.</param>
/// <param name="Series">The legend entries: aggregate names, or the classes present in the scatter.</param>
/// <param name="Points">How many points it draws.</param>
/// <param name="Source">The metrics table revision scattered; null for aggregate charts (they come from the run's log).</param>
public sealed record PlotFile(Url Url, PlotKind Kind, string Title, string Description, IReadOnlyList<string> Series, int Points, Url? Source);

/// <summary>What <see cref="RunPlots"/> wrote.</summary>
/// <param name="Folder">The output folder.</param>
/// <param name="Files">The files written, aggregate charts first (ordered by kind), then the scatter.</param>
/// <param name="Notes">What was not drawn and why (e.g. no reduced embeddings, no font found).</param>
public sealed record RunPlotResult(Url Folder, IReadOnlyList<PlotFile> Files, IReadOnlyList<string> Notes);

/// <summary>A run with nothing to plot: no logged aggregates and no metrics table with a 2-D embedding column.</summary>
public sealed class NothingToPlotException(string message) : InvalidOperationException(message);
