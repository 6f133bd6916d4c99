using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Plots;

/// <summary>
/// Charts of a run as PNG files (what 3LC's Dashboard shows of a run, for people who would rather look than read):
/// one line chart per kind of logged aggregate across epochs or steps (<c>train_loss</c>, <c>val_loss</c> and
/// <c>test_loss_avg</c> share the chart <c>loss</c>), and a scatter of a metrics table's 2-D reduced embeddings (e.g.
/// <c>embeddings_9_pca</c> from <c>EmbeddingReducer</c>) coloured by the input table's label. Rendering is ScottPlot
/// over SkiaSharp, headless.
/// </summary>
public static class RunPlots
{
    /// <summary>The log keys that serve as the x axis, in order of preference; they are not charted themselves.</summary>
    public static IReadOnlyList<string> AxisKeys { get; } = ["epoch", "iteration", "step"];

    private static readonly string[] SplitPrefixes = ["train", "training", "val", "valid", "validation", "test", "eval"];
    private static readonly string[] ReducedSuffixes = ["_pca", "_pacmap", "_umap", "_tsne", "_2d"];

    /// <summary>Writes the charts of <paramref name="run"/> (see <see cref="WriteAsync(ClusterContext, string, string, RunPlotOptions?, CancellationToken)"/>).</summary>
    public static Task<RunPlotResult> WriteAsync(Run run, RunPlotOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        return WriteAsync(run.Context, run.Project, run.Name, options, cancellationToken);
    }

    /// <summary>
    /// Writes the charts of run <paramref name="project"/>/<paramref name="run"/>: <c>aggregates-&lt;kind&gt;.png</c> per
    /// kind of logged aggregate and <c>embeddings-&lt;stream&gt;[-epoch&lt;N&gt;].png</c> for the latest metrics table
    /// (or the one <see cref="RunPlotOptions.Epoch"/>/<see cref="RunPlotOptions.Stream"/> pick) whose newest revision has a
    /// 2-D embedding column. Existing files of the same names are replaced.
    /// </summary>
    /// <exception cref="KeyNotFoundException">There is no such run.</exception>
    /// <exception cref="NothingToPlotException">The run logged no aggregate and has no 2-D embeddings.</exception>
    /// <exception cref="InvalidOperationException">An epoch, stream, embedding or label column was asked for that the run does not have.</exception>
    public static async Task<RunPlotResult> WriteAsync(ClusterContext context, string project, string run, RunPlotOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        options ??= new RunPlotOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Width, 50, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Height, 50, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Width, 10_000, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Height, 10_000, nameof(options));
        var info = await context.RunGrain(project, run).GetAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!info.Exists)
        {
            throw new KeyNotFoundException($"No run {project}/{run} in the cluster of {context.Root} (list them with: tlc runs).");
        }
        var runUrl = new Url(info.Url);
        var folder = options.OutputFolder ?? runUrl.Join("plots");
        var notes = new List<string>();

        var series = await ReadSeriesAsync(context.Adapters, runUrl, info, cancellationToken).ConfigureAwait(false);
        var scatter = await FindScatterAsync(context.Adapters, info, options, cancellationToken).ConfigureAwait(false);
        if (series.Count == 0 && scatter is null)
        {
            throw new NothingToPlotException(
                $"Run {project}/{run} has nothing to plot: it logged no aggregates and no metrics table has a 2-D embedding column " +
                $"({(info.MetricsTables.Count == 0 ? "it has no metrics tables" : "reduce one with EmbeddingReducer, e.g. to embeddings_<layer>_pca")}).");
        }
        if (series.Count == 0)
        {
            notes.Add("No aggregates were logged (Run.LogAsync): no line charts.");
        }
        if (scatter is null)
        {
            notes.Add(info.MetricsTables.Count == 0
                ? "The run has no metrics tables: no embedding scatter."
                : "No metrics table has a 2-D embedding column (reduce one with EmbeddingReducer): no embedding scatter.");
        }

        var font = PlotFonts.Resolve(options.FontFile, out var fontNote);
        if (fontNote is not null)
        {
            notes.Add(fontNote);
        }
        var files = new List<PlotFile>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in GroupByKind(series))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Unique(used, "aggregates-" + FileName(group.Count == 1 ? group[0].Key : group.Kind));
            var url = folder.Join(name + ".png");
            var (png, title, description) = AggregateChart.Render(group, options, font);
            await context.Adapters.WriteAllBytesAsync(url, png, WriteMode.Overwrite, cancellationToken).ConfigureAwait(false);
            files.Add(new PlotFile(url, PlotKind.Aggregates, title, description, [.. group.Select(s => s.Key)], group.Sum(s => s.Points.Count), null));
        }
        if (scatter is not null)
        {
            using (scatter.Metrics)
            {
                var data = await EmbeddingScatter.ReadAsync(scatter, options.LabelColumn, cancellationToken).ConfigureAwait(false);
                var name = Unique(used, "embeddings-" + FileName(scatter.Entry.StreamName) + (scatter.Epoch is { } e ? $"-epoch{e.ToString(CultureInfo.InvariantCulture)}" : ""));
                var url = folder.Join(name + ".png");
                var (png, title, description) = EmbeddingScatter.Render(data, scatter, options, font);
                await context.Adapters.WriteAllBytesAsync(url, png, WriteMode.Overwrite, cancellationToken).ConfigureAwait(false);
                files.Add(new PlotFile(url, PlotKind.Embeddings, title, description, [.. data.Classes.Select(c => c.Name)], data.Classes.Sum(c => c.X.Count), scatter.Metrics.Url));
                notes.AddRange(data.Notes);
            }
        }
        return new RunPlotResult(folder, files, notes);
    }

    /// <summary>One logged aggregate: its points (x, value) in x order and the axis they were logged against.</summary>
    internal sealed record Series(string Key, string Axis, IReadOnlyList<(double X, double Y)> Points);

    /// <summary>Aggregates that share a chart: the same quantity of different splits (<c>train_loss</c>, <c>val_loss</c>, <c>test_loss_avg</c>).</summary>
    internal sealed class SeriesGroup(string kind, IEnumerable<Series> series) : List<Series>(series)
    {
        public string Kind { get; } = kind;
    }

    /// <summary>Every logged aggregate of the run, read from its NDJSON log segments.</summary>
    private static async Task<List<Series>> ReadSeriesAsync(UrlAdapterRegistry adapters, Url runUrl, RunInfo info, CancellationToken cancellationToken)
    {
        var points = new Dictionary<string, List<(double X, double Y, string Axis, long Order)>>(StringComparer.Ordinal);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long order = 0;
        foreach (var entry in await Run.ReadLogAsync(adapters, runUrl, info.LogSegments, cancellationToken).ConfigureAwait(false))
        {
            var axis = AxisKeys.FirstOrDefault(entry.ContainsKey);
            foreach (var (key, value) in entry)
            {
                if (AxisKeys.Contains(key) || !double.IsFinite(value))
                {
                    continue;
                }
                var n = counts.GetValueOrDefault(key);
                counts[key] = n + 1;
                if (!points.TryGetValue(key, out var list))
                {
                    points[key] = list = [];
                }
                list.Add(axis is null ? (n, value, "entry", order) : (entry[axis], value, axis, order));
            }
            order++;
        }
        return [.. points.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv =>
        {
            var axis = kv.Value.GroupBy(p => p.Axis).OrderByDescending(g => g.Count()).First().Key;
            return new Series(kv.Key, axis, [.. kv.Value.OrderBy(p => p.X).ThenBy(p => p.Order).Select(p => (p.X, p.Y))]);
        })];
    }

    /// <summary>Groups series by kind: the key without a split prefix (<c>train_</c>, <c>val/</c>, ...) and without <c>_avg</c>.</summary>
    internal static List<SeriesGroup> GroupByKind(IEnumerable<Series> series) =>
        [.. series.GroupBy(s => KindOf(s.Key), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new SeriesGroup(g.Key, g))];

    /// <summary>The quantity an aggregate measures: <c>train_loss</c>, <c>val/loss</c> and <c>test_loss_avg</c> are all <c>loss</c>.</summary>
    public static string KindOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var kind = key.EndsWith("_avg", StringComparison.Ordinal) && key.Length > 4 ? key[..^4] : key;
        foreach (var prefix in SplitPrefixes)
        {
            foreach (var separator in new[] { '_', '/', '.', '-' })
            {
                var p = prefix + separator;
                if (kind.Length > p.Length && kind.StartsWith(p, StringComparison.OrdinalIgnoreCase))
                {
                    return kind[p.Length..];
                }
            }
        }
        return kind;
    }

    /// <summary>The metrics table the scatter shows, its newest revision, and the 2-D column in it.</summary>
    internal sealed record ScatterSource(RunMetricsTable Entry, Table Metrics, string Column, long? Epoch);

    private static async Task<ScatterSource?> FindScatterAsync(UrlAdapterRegistry adapters, RunInfo info, RunPlotOptions options, CancellationToken cancellationToken)
    {
        var candidates = new List<(RunMetricsTable Entry, Url Latest, string Column, long? Epoch)>();
        foreach (var entry in info.MetricsTables)
        {
            using var latest = await Table.LatestAsync(new Url(entry.Url), adapters, cancellationToken).ConfigureAwait(false);
            var column = options.EmbeddingColumn is { } wanted
                ? (latest.Schema.Find(wanted) is { } schema && IsTwoD(schema) ? wanted : null)
                : ReducedColumn(latest.Schema);
            if (column is not null)
            {
                candidates.Add((entry, latest.Url, column, EpochOf(entry)));
            }
        }
        var picked = candidates
            .Where(c => options.Stream is null || c.Entry.StreamName == options.Stream)
            .Where(c => options.Epoch is null || c.Epoch == options.Epoch)
            .ToList();
        if (picked.Count == 0)
        {
            if (options.Stream is null && options.Epoch is null && options.EmbeddingColumn is null)
            {
                return null;
            }
            var asked = string.Join(", ", new[]
            {
                options.EmbeddingColumn is { } c ? $"a 2-D column '{c}'" : null,
                options.Stream is { } s ? $"stream '{s}'" : null,
                options.Epoch is { } e ? $"epoch {e.ToString(CultureInfo.InvariantCulture)}" : null,
            }.OfType<string>());
            var have = candidates.Count == 0
                ? "none of its metrics tables has a 2-D embedding column"
                : "those with 2-D embeddings: " + string.Join(", ", candidates.Select(c => $"{c.Entry.StreamName}{(c.Epoch is { } e ? $" epoch {e.ToString(CultureInfo.InvariantCulture)}" : "")} ({c.Column})"));
            throw new InvalidOperationException($"Run {info.Project}/{info.Name} has no metrics table with {asked}; {have}.");
        }
        // The latest: the highest epoch, then the last registered.
        var best = picked.Select((c, i) => (c, i)).OrderBy(p => p.c.Epoch ?? long.MinValue).ThenBy(p => p.i).Last().c;
        var metrics = await Table.OpenAsync(best.Latest, adapters, cancellationToken).ConfigureAwait(false);
        return new ScatterSource(best.Entry, metrics, best.Column, best.Epoch);
    }

    private static bool IsTwoD(ColumnSchema schema) => schema is ListSchema { FixedSize: 2, Element: ScalarSchema { Kind: ScalarKind.Float32 or ScalarKind.Float64 } };

    /// <summary>The 2-D embedding column of <paramref name="schema"/>, preferring reducer outputs (<c>_pca</c>, <c>_pacmap</c>, ...).</summary>
    private static string? ReducedColumn(TableSchema schema)
    {
        var twoD = schema.Where(kv => IsTwoD(kv.Value)).Select(kv => kv.Key).ToList();
        return twoD.FirstOrDefault(n => ReducedSuffixes.Any(s => n.EndsWith(s, StringComparison.Ordinal))) ?? twoD.FirstOrDefault();
    }

    private static long? EpochOf(RunMetricsTable entry)
    {
        if (string.IsNullOrWhiteSpace(entry.ConstantsJson))
        {
            return null;
        }
        try
        {
            return JsonNode.Parse(entry.ConstantsJson) is JsonObject o && o["epoch"] is JsonValue v && v.TryGetValue<double>(out var d) ? (long)d : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A file name from a key: letters, digits, '-', '_' and '.' kept, anything else '_'.</summary>
    private static string FileName(string key)
    {
        var chars = key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        var name = new string(chars).Trim('.');
        return name.Length == 0 ? "unnamed" : name;
    }

    private static string Unique(HashSet<string> used, string name)
    {
        var candidate = name;
        for (var i = 2; !used.Add(candidate); i++)
        {
            candidate = $"{name}-{i.ToString(CultureInfo.InvariantCulture)}";
        }
        return candidate;
    }
}
