using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Metrics.Reduction;
using Tlc.Schemas;
using Tlc.Tables.Urls;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc run reduce P/R</c>: reduce a metrics table's embeddings to 2-D or 3-D (UMAP or PCA) as a new revision.</summary>
internal static class RunReduceCommand
{
    public static Command Create(Argument<string> key)
    {
        var method = new Option<string>("--method") { Description = "umap (default, as 3LC reduces) or pca.", DefaultValueFactory = _ => "umap" };
        var components = new Option<int>("--components") { Description = "The output dimension: 2 or 3.", DefaultValueFactory = _ => 2 };
        var seed = new Option<long>("--seed") { Description = "UMAP's seed: the same seed gives the same layout, bit for bit.", DefaultValueFactory = _ => 0 };
        var neighbors = new Option<int>("--neighbors") { Description = "UMAP's neighbourhood size, counting the point itself (n_neighbors), at least 2.", DefaultValueFactory = _ => 15 };
        var epoch = new Option<long?>("--epoch") { Description = "Reduce the metrics table of this epoch (default: the latest with the column)." };
        var stream = new Option<string?>("--stream") { Description = "Reduce a metrics table of this stream (split), e.g. test." };
        var column = new Option<string?>("--column") { Description = "The embedding column (default: the table's only embeddings column that is not a reduction)." };
        var output = new Option<string?>("--out-column") { Description = "The output column (default: the column + _umap or _pca)." };
        var reduce = new Command("reduce",
            "Reduce the embeddings of a run's latest metrics table (or the one --epoch/--stream pick) to 2-D or 3-D, with UMAP\n" +
            "(default; deterministic for --seed) or PCA, into a new revision of that table with the column <column>_umap or\n" +
            "<column>_pca, which tlc run plot and the dashboard scatter. Prints the column and the new revision.\n" +
            "Example: tlc run reduce demo/fashion-mnist-cnn --method umap --seed 1 --neighbors 15")
        {
            key, method, components, seed, neighbors, epoch, stream, column, output, CliContext.Json,
        };
        reduce.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var chosen = parse.GetValue(method)?.Trim().ToLowerInvariant() switch
            {
                "umap" => ReductionMethod.Umap,
                "pca" => ReductionMethod.Pca,
                var other => throw new UsageException($"--method must be umap or pca (got '{other}')."),
            };
            if (parse.GetValue(components) is not (2 or 3) and var c)
            {
                throw new UsageException($"--components must be 2 or 3 (got {c}).");
            }
            if (parse.GetValue(neighbors) < 2)
            {
                throw new UsageException($"--neighbors must be at least 2: the point itself and one neighbour (got {parse.GetValue(neighbors)}).");
            }
            var settings = CliContext.Settings(parse);
            var (project, name) = ClusterCli.RunKey(parse.GetValue(key)!);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var info = await connection.Context.RunGrain(project, name).GetAsync().WaitAsync(ct);
            if (!info.Exists)
            {
                throw new KeyNotFoundException($"No run {project}/{name} in the cluster of {settings.RootUrl} (list them with: tlc runs).");
            }
            var (entry, table, embeddings) = await PickAsync(connection.Adapters, info, parse.GetValue(column), parse.GetValue(stream), parse.GetValue(epoch), ct);
            using (table)
            {
                var options = new EmbeddingReducerOptions
                {
                    Method = chosen,
                    Components = parse.GetValue(components),
                    Seed = parse.GetValue(seed),
                    Neighbors = parse.GetValue(neighbors),
                    OutputColumn = parse.GetValue(output),
                };
                var watch = Stopwatch.StartNew();
                var reduction = await EmbeddingReducer.ReduceAsync(table, embeddings, options, ct);
                using var revised = await reduction.WriteAsync(table, ct);
                var seconds = watch.Elapsed.TotalSeconds;
                if (parse.GetValue(CliContext.Json))
                {
                    JsonOutput.Write(new JsonObject
                    {
                        ["run"] = $"{project}/{name}",
                        ["metrics_table"] = entry.Url,
                        ["stream_name"] = entry.StreamName,
                        ["source"] = table.Url.Value,
                        ["column"] = embeddings,
                        ["output_column"] = reduction.OutputColumn,
                        ["method"] = chosen == ReductionMethod.Umap ? "umap" : "pca",
                        ["components"] = reduction.Components,
                        ["rows"] = reduction.Values.Count(v => v is not null),
                        ["description"] = reduction.Description,
                        ["revision"] = revised.Url.Value,
                        ["seconds"] = Math.Round(seconds, 2),
                    });
                    return CliRunner.Ok;
                }
                Console.WriteLine($"{reduction.OutputColumn}: {reduction.Description}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"revision: {revised.Url.Value} ({seconds:F1} s)"));
                return CliRunner.Ok;
            }
        }));
        return reduce;
    }

    /// <summary>The metrics table to reduce (its newest revision) and its embedding column.</summary>
    private static async Task<(RunMetricsTable Entry, Table Table, string Column)> PickAsync(UrlAdapterRegistry adapters, RunInfo info, string? column,
        string? stream, long? epoch, CancellationToken ct)
    {
        var seen = new List<string>();
        (RunMetricsTable Entry, Url Latest, string Column, long? Epoch)? best = null;
        foreach (var entry in info.MetricsTables)
        {
            var entryEpoch = MetricsStream.Epoch(entry);
            if ((stream is not null && entry.StreamName != stream) || (epoch is not null && entryEpoch != epoch))
            {
                continue;
            }
            using var latest = await Table.LatestAsync(new Url(entry.Url), adapters, ct);
            var candidates = column is not null
                ? (latest.Schema.Contains(column) ? [column] : [])
                : latest.Schema.Where(kv => IsEmbedding(kv.Key, kv.Value)).Select(kv => kv.Key).ToList();
            seen.Add($"{entry.StreamName}{(entryEpoch is { } e ? $" epoch {e.ToString(CultureInfo.InvariantCulture)}" : "")}: {(candidates.Count == 0 ? "none" : string.Join(", ", candidates))}");
            if (candidates.Count > 1)
            {
                throw new UsageException($"Metrics table {entry.Url} has several embedding columns ({string.Join(", ", candidates)}): name one with --column.");
            }
            if (candidates.Count == 1 && (best is null || (entryEpoch ?? long.MinValue) >= (best.Value.Epoch ?? long.MinValue)))
            {
                best = (entry, latest.Url, candidates[0], entryEpoch); // the highest epoch, then the last registered
            }
        }
        if (best is not { } b)
        {
            var asked = string.Join(", ", new[]
            {
                column is not null ? $"a column '{column}'" : "an embedding column",
                stream is not null ? $"stream '{stream}'" : null,
                epoch is { } e ? $"epoch {e.ToString(CultureInfo.InvariantCulture)}" : null,
            }.OfType<string>());
            throw new InvalidOperationException($"Run {info.Project}/{info.Name} has no metrics table with {asked}" +
                (seen.Count == 0 ? (info.MetricsTables.Count == 0 ? " (it has no metrics tables)." : ".") : $"; embedding columns: {string.Join("; ", seen)}."));
        }
        return (b.Entry, await Table.OpenAsync(b.Latest, adapters, ct), b.Column);
    }

    /// <summary>A list-of-float32 column named embeddings… that is not itself a reduction (…_pca, …_umap, 2-D or 3-D).</summary>
    private static bool IsEmbedding(string name, ColumnSchema schema) =>
        name.StartsWith("embeddings", StringComparison.Ordinal)
        && schema is ListSchema { Element: ScalarSchema { Kind: ScalarKind.Float32 } }
        && !((name.EndsWith("_pca", StringComparison.Ordinal) || name.EndsWith("_umap", StringComparison.Ordinal)) && schema is ListSchema { FixedSize: 2 or 3 });
}
