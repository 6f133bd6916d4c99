using ScottPlot;

namespace Tlc.Plots;

/// <summary>A line chart of aggregates that share a kind, against the axis they were logged with.</summary>
internal static class AggregateChart
{
    public static (byte[] Png, string Title, string Description) Render(RunPlots.SeriesGroup group, RunPlotOptions options, string? font)
    {
        var axes = group.Select(s => s.Axis).Distinct(StringComparer.Ordinal).ToList();
        var axis = axes.Count == 1 ? axes[0] : string.Join(" / ", axes);
        var title = group.Count == 1 ? group[0].Key : group.Kind;
        var plot = new Plot();
        try
        {
            var palette = new ScottPlot.Palettes.Category10();
            for (var i = 0; i < group.Count; i++)
            {
                var s = group[i];
                var line = plot.Add.Scatter(s.Points.Select(p => p.X).ToArray(), s.Points.Select(p => p.Y).ToArray(), palette.GetColor(i));
                line.LegendText = s.Key;
                line.LineWidth = 2;
                line.MarkerSize = s.Points.Count <= 50 ? 7 : 0;
            }
            plot.Title(title);
            plot.XLabel(axis);
            plot.YLabel(group.Kind);
            if (group.All(s => s.Points.All(p => p.X == Math.Floor(p.X))))
            {
                // Epochs and steps are whole numbers: no ticks between them.
                plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
            }
            if (group.Count > 1)
            {
                // Beside the plot, so that no line hides under it.
                plot.ShowLegend(Edge.Right);
            }
            else
            {
                // The title names the one line.
                plot.HideLegend();
            }
            if (font is not null)
            {
                plot.Font.Set(font);
            }
            var png = plot.GetImageBytes(options.Width, options.Height, ImageFormat.Png);
            var points = group.Sum(s => s.Points.Count);
            var description = group.Count == 1
                ? $"{group[0].Key} by {axis} ({points} logged values)"
                : $"{group.Kind} of {string.Join(", ", group.Select(s => s.Key))} by {axis} ({points} logged values)";
            return (png, title, description);
        }
        finally
        {
            plot.Dispose();
        }
    }
}
