using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Tables.Configuration;

namespace Tlc.Cli;

/// <summary>What the cluster verbs share: connecting, names of statuses, JSON of jobs and runs.</summary>
internal static class ClusterCli
{
    /// <summary>Folders of plugin assemblies (model and collector factories), repeatable.</summary>
    public static Option<string[]> Plugins() => new("--plugins")
    {
        Description = "A folder of plugin assemblies (model and collector factories) to load; repeat for more.",
        AllowMultipleArgumentsPerToken = false,
        DefaultValueFactory = _ => [],
    };

    /// <summary><c>--otlp-endpoint URL</c>: exports metrics to an OpenTelemetry collector (overrides <c>observability.otlp_endpoint</c>).</summary>
    public static Option<string?> OtlpEndpoint() => new("--otlp-endpoint")
    {
        Description = "Export metrics (meters Tlc and Microsoft.Orleans) to this OTLP endpoint: http://HOST:4317 (gRPC), or a URL\n" +
            "ending in /v1/metrics (HTTP/protobuf). Default: observability.otlp_endpoint of the settings, else none.",
    };

    /// <summary><c>--metrics-console</c>: writes metrics to the console (overrides <c>observability.metrics_console</c>).</summary>
    public static Option<bool> MetricsConsole() => new("--metrics-console")
    {
        Description = "Also write metrics to the console every observability.export_interval_seconds (default 10).",
    };

    /// <summary>Applies <c>--otlp-endpoint</c> and <c>--metrics-console</c> to the settings.</summary>
    public static void ApplyMetricsExport(TlcOptions settings, ParseResult parse, Option<string?> otlp, Option<bool> console)
    {
        if (parse.GetValue(otlp) is { } endpoint)
        {
            if (!(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
            {
                throw new UsageException($"--otlp-endpoint must be an http(s) URL, got '{endpoint}'.");
            }
            settings.Observability.OtlpEndpoint = endpoint;
        }
        if (parse.GetValue(console))
        {
            settings.Observability.MetricsConsole = true;
        }
    }

    /// <summary>
    /// Connects with the command's settings: the configured Azure cluster, or the root's embedded silo — the running one, or
    /// one started in this process for the command's duration.
    /// </summary>
    public static async Task<ClusterConnection> ConnectAsync(TlcOptions settings, CancellationToken cancellationToken) =>
        await ClusterConnection.ConnectAsync(settings, cancellationToken).ConfigureAwait(false);

    /// <summary>Loads plugin folders into the process's model and collector registries.</summary>
    public static void LoadPlugins(IEnumerable<string> folders)
    {
        foreach (var folder in folders)
        {
            ModelRegistry.Default.LoadPlugins(folder);
            CollectorRegistry.Default.LoadPlugins(folder);
        }
    }

    /// <summary>"project/run" → its parts.</summary>
    public static (string Project, string Run) RunKey(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            throw new UsageException($"'{text}' is not a run: write PROJECT/RUN, e.g. demo/fashion-mnist-cnn.");
        }
        return (text[..slash], text[(slash + 1)..]);
    }

    /// <summary>A status as the CLI prints it: lower case, words joined by '_' (<c>post_processing</c>).</summary>
    public static string Name(Enum status)
    {
        var text = status.ToString();
        var builder = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (i > 0 && char.IsUpper(text[i]))
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(text[i]));
        }
        return builder.ToString();
    }

    /// <summary>A time as ISO 8601.</summary>
    public static string Time(DateTimeOffset time) => time.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>A JSON text (object or value) as a node; null stays null.</summary>
    public static JsonNode? Parse(string? json) => string.IsNullOrWhiteSpace(json) ? null : JsonNode.Parse(json);

    /// <summary>A job's progress as stable JSON.</summary>
    public static JsonObject Progress(JobProgress p) => new()
    {
        ["id"] = p.JobId,
        ["status"] = Name(p.Status),
        ["run"] = p.RunKey,
        ["shards"] = p.Shards,
        ["shards_committed"] = p.ShardsCommitted,
        ["shards_leased"] = p.ShardsLeased,
        ["shards_failed"] = p.ShardsFailed,
        ["rows"] = p.Rows,
        ["rows_committed"] = p.RowsCommitted,
        ["rows_per_second"] = Math.Round(p.RowsPerSecond, 1),
        ["eta_seconds"] = p.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null,
        ["lease_expirations"] = p.LeaseExpirations,
        ["retries"] = p.Retries,
        ["submitted"] = Time(p.Submitted),
        ["finished"] = p.Finished is { } f ? Time(f) : null,
        ["metrics_table_url"] = p.MetricsTableUrl,
        ["errors"] = new JsonArray([.. p.Errors.Select(e => (JsonNode?)JsonValue.Create(e))]),
    };

    /// <summary>A job's spec as stable JSON (what it computes; never rows).</summary>
    public static JsonObject Spec(MetricsJobSpec s) => new()
    {
        ["table_url"] = s.TableUrl,
        ["table_rows"] = s.TableRows,
        ["model"] = new JsonObject
        {
            ["kind"] = s.Model.Kind,
            ["name"] = s.Model.Name,
            ["weights_url"] = s.Model.WeightsUrl,
            ["arguments"] = Parse(s.Model.ArgumentsJson),
            ["device"] = s.Model.Device,
        },
        ["collectors"] = new JsonArray([.. s.Collectors.Select(c => (JsonNode?)new JsonObject { ["name"] = c.Name, ["arguments"] = Parse(c.ArgumentsJson) })]),
        ["constants"] = Parse(s.ConstantsJson),
        ["split"] = s.Split,
        ["stream_name"] = s.StreamName,
        ["batch_size"] = s.BatchSize,
        ["shard_rows"] = s.Shards.Length > 0 ? s.Shards[0].End - s.Shards[0].Start : 0,
        ["exclude_zero_weights"] = s.ExcludeZeroWeights,
        ["max_attempts"] = s.MaxAttempts,
        ["lease_seconds"] = s.LeaseDuration.TotalSeconds,
        ["metrics_table_url"] = s.MetricsTableUrl,
    };

    /// <summary>A number for text output.</summary>
    public static string Number(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>A duration for text output (<c>1:05</c>, <c>42 s</c>).</summary>
    public static string Duration(TimeSpan? span) => span switch
    {
        null => "?",
        { TotalSeconds: < 60 } s => $"{s.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture)} s",
        { TotalHours: < 1 } s => s.ToString(@"m\:ss", CultureInfo.InvariantCulture),
        var s => s.Value.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture),
    };
}
