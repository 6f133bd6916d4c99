using System.Globalization;
using ScottPlot;
using Tlc.Schemas;

namespace Tlc.Plots;

/// <summary>A scatter of a metrics table's 2-D embeddings, one colour per label, joined to the input rows by <c>example_id</c>.</summary>
internal static class EmbeddingScatter
{
    /// <summary>The points of one label value.</summary>
    public sealed record Class(string Name, List<double> X, List<double> Y);

    /// <summary>The points by class (ordered by label value), the label's name and where it came from.</summary>
    public sealed record Data(IReadOnlyList<Class> Classes, string? Label, string? LabelSource, IReadOnlyList<string> Notes);

    public static async Task<Data> ReadAsync(RunPlots.ScatterSource source, string? labelColumn, CancellationToken cancellationToken)
    {
        var metrics = source.Metrics;
        // Only the three values a point needs are read: the example id, the 2-D vector and the label (of the input row the
        // example id names, as MetricsView.JoinAsync maps it to the foreign revision itself).
        using var foreign = await MetricsView.ForeignTableAsync(metrics, cancellationToken).ConfigureAwait(false);
        var (label, inInput, map) = PickLabel(foreign.Schema, metrics.Schema, labelColumn, foreign.Url, metrics.Url);
        var notes = new List<string>();
        if (label is null)
        {
            notes.Add($"Neither {foreign.Url} nor the metrics table has a categorical label column: the scatter has one colour.");
        }
        var groups = new Dictionary<object, Class>();
        var nullClass = (Class?)null;
        for (long i = 0; i < metrics.RowCount; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (metrics.GetValue(source.Column, i) is not { } value)
            {
                continue;
            }
            var exampleId = (long)metrics.GetValue("example_id", i)!;
            var (x, y) = value switch
            {
                float[] f when f.Length == 2 => ((double)f[0], (double)f[1]),
                double[] d when d.Length == 2 => (d[0], d[1]),
                _ => throw new InvalidDataException($"{metrics.Url}, example {exampleId}: '{source.Column}' is not a 2-value vector."),
            };
            if (!double.IsFinite(x) || !double.IsFinite(y))
            {
                continue;
            }
            var raw = label is null ? "all" : inInput ? foreign.GetValue(label, exampleId) : metrics.GetValue(label, i);
            Class target;
            if (raw is null)
            {
                target = nullClass ??= new Class("(none)", [], []);
            }
            else if (!groups.TryGetValue(raw, out target!))
            {
                groups[raw] = target = new Class(NameOf(raw, map), [], []);
            }
            target.X.Add(x);
            target.Y.Add(y);
        }
        var ordered = groups.OrderBy(kv => kv.Key is IConvertible c && kv.Key is not string ? c.ToDouble(CultureInfo.InvariantCulture) : 0)
            .ThenBy(kv => kv.Key.ToString(), StringComparer.Ordinal).Select(kv => kv.Value).ToList();
        if (nullClass is not null)
        {
            ordered.Add(nullClass);
        }
        var labelSource = label is null ? null : inInput ? $"{label} of the input table" : $"{label} of the metrics table";
        return new Data(ordered, label, labelSource, notes);
    }

    /// <summary>The label column: as asked, else the input's categorical label (<c>label</c> first), else the metrics' <c>label</c>/<c>predicted</c>.</summary>
    private static (string? Column, bool InInput, ValueMap? Map) PickLabel(TableSchema input, TableSchema metrics, string? wanted, Url inputUrl, Url metricsUrl)
    {
        if (wanted is not null)
        {
            if (input.Find(wanted) is { } a)
            {
                return (wanted, true, (a as ScalarSchema)?.ValueMap);
            }
            if (metrics.Find(wanted) is { } b)
            {
                return (wanted, false, (b as ScalarSchema)?.ValueMap);
            }
            throw new InvalidOperationException($"Neither {inputUrl} nor {metricsUrl} has a column '{wanted}'. Input columns: {string.Join(", ", input.Names)}.");
        }
        var categorical = input.Where(kv => kv.Value is ScalarSchema { ValueMap: not null }).Select(kv => kv.Key).ToList();
        var fromInput = categorical.Contains("label") ? "label" : categorical.FirstOrDefault();
        if (fromInput is not null)
        {
            return (fromInput, true, ((ScalarSchema)input[fromInput]).ValueMap);
        }
        foreach (var name in new[] { "label", "predicted" })
        {
            if (metrics.Find(name) is ScalarSchema s)
            {
                return (name, false, s.ValueMap);
            }
        }
        return (null, false, null);
    }

    private static string NameOf(object raw, ValueMap? map)
    {
        if (map is not null && raw is IConvertible c && raw is not string && map.TryGetValue(c.ToInt64(CultureInfo.InvariantCulture), out var element))
        {
            return element.DisplayName ?? element.InternalName;
        }
        return Convert.ToString(raw, CultureInfo.InvariantCulture) ?? "";
    }

    public static (byte[] Png, string Title, string Description) Render(Data data, RunPlots.ScatterSource source, RunPlotOptions options, string? font)
    {
        var epoch = source.Epoch is { } e ? $" epoch {e.ToString(CultureInfo.InvariantCulture)}" : "";
        var title = $"{source.Entry.StreamName}{epoch}: {source.Column}" + (data.Label is { } l ? $" by {l}" : "");
        var plot = new Plot();
        try
        {
            IPalette palette = data.Classes.Count <= 10 ? new ScottPlot.Palettes.Category10() : new ScottPlot.Palettes.Category20();
            var points = data.Classes.Sum(c => c.X.Count);
            var size = points <= 500 ? 6f : points <= 5000 ? 4f : 2.5f;
            for (var i = 0; i < data.Classes.Count; i++)
            {
                var c = data.Classes[i];
                var scatter = plot.Add.ScatterPoints(c.X.ToArray(), c.Y.ToArray(), palette.GetColor(i));
                scatter.MarkerSize = size;
                scatter.LegendText = c.Name;
            }
            plot.Title(title);
            plot.XLabel($"{source.Column}[0]");
            plot.YLabel($"{source.Column}[1]");
            if (data.Label is not null)
            {
                plot.ShowLegend(Edge.Right);
            }
            if (font is not null)
            {
                plot.Font.Set(font);
            }
            var png = plot.GetImageBytes(options.Width, options.Height, ImageFormat.Png);
            var description = $"{points} examples of {source.Metrics.Url.Name} ({source.Entry.StreamName}{epoch}): {source.Column}, " +
                (data.LabelSource is { } s ? $"coloured by {s} ({data.Classes.Count} classes)" : "in one colour");
            return (png, title, description);
        }
        finally
        {
            plot.Dispose();
        }
    }
}
