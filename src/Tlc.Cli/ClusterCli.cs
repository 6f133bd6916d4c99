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

    /// <summary>The <c>--health-port</c> option of <c>tlc silo</c> and <c>tlc worker</c> (sets <c>health.port</c>).</summary>
    public static Option<int?> HealthPort() => new("--health-port")
    {
        Description = $"Serve HTTP liveness ({HealthSettings.LivenessPath}) and readiness ({HealthSettings.ReadinessPath}) on this port, on health.host\n" +
            "(default 0.0.0.0). Default: health.port of the settings, else off.",
    };

    /// <summary>Applies <c>--health-port</c> to the settings.</summary>
    public static void ApplyHealthPort(TlcOptions settings, ParseResult parse, Option<int?> port)
    {
        if (parse.GetValue(port) is { } value)
        {
            if (value is < 1 or > 65535)
            {
                throw new UsageException($"--health-port must be a TCP port (1-65535), got {value}.");
            }
            settings.Health.Port = value;
        }
    }

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
    /// Connects with the command's settings: the configured shared cluster (azure, redis), or the root's embedded silo — the running one, or
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

    /// <summary>
    /// A job's progress as stable JSON, the same for every kind: item counts are named by the kind's noun
    /// (<c>shards_committed</c>, <c>chunks_committed</c>, <c>parts_committed</c>), the result by what it is
    /// (<c>metrics_table_url</c>, <c>table_url</c>).
    /// </summary>
    public static JsonObject Progress(JobProgress p)
    {
        var noun = p.ItemNoun;
        var json = new JsonObject
        {
            ["id"] = p.JobId,
            ["kind"] = p.Kind,
            ["status"] = Name(p.Status),
            ["description"] = p.Description,
            ["run"] = p.Run,
            [$"{noun}s"] = p.Items,
            [$"{noun}s_committed"] = p.ItemsCommitted,
            [$"{noun}s_leased"] = p.ItemsLeased,
            [$"{noun}s_failed"] = p.ItemsFailed,
            ["rows"] = p.Rows,
            ["rows_committed"] = p.RowsCommitted,
            ["bytes"] = p.Bytes,
            ["bytes_committed"] = p.BytesCommitted,
            ["rows_per_second"] = Math.Round(p.RowsPerSecond, 1),
            ["eta_seconds"] = p.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null,
            ["lease_expirations"] = p.LeaseExpirations,
            ["retries"] = p.Retries,
            ["submitted"] = Time(p.Submitted),
            ["started"] = p.Started is { } s ? Time(s) : null,
            ["finished"] = p.Finished is { } f ? Time(f) : null,
            ["result_url"] = p.ResultUrl,
            ["errors"] = new JsonArray([.. p.Errors.Select(e => (JsonNode?)JsonValue.Create(e))]),
        };
        if (p.Writers > 0)
        {
            json["writers"] = p.Writers;
            json["writers_closed"] = p.WritersClosed;
            json["waiting_for"] = new JsonArray([.. p.WritersWaiting.Select(w => (JsonNode?)w)]);
            json["writer_noun"] = p.WriterNoun;
        }
        if (p.Kind == JobKinds.Import)
        {
            json["table_url"] = p.ResultUrl;
            json["quarantine_table_url"] = p.QuarantineTableUrl;
            json["rows_quarantined"] = p.RowsQuarantined;
        }
        else
        {
            json["metrics_table_url"] = p.ResultUrl;
        }
        return json;
    }

    /// <summary>A job's spec as stable JSON (what it computes or imports; never rows, never its plans).</summary>
    public static JsonObject Spec(JobSpec spec)
    {
        var json = new JsonObject
        {
            ["kind"] = spec.Kind,
            ["items"] = spec.Items,
            ["items_per_segment"] = spec.ItemsPerSegment,
            ["max_attempts"] = spec.MaxAttempts,
            ["lease_seconds"] = spec.LeaseDuration.TotalSeconds,
        };
        switch (spec)
        {
            case MetricsTableSpec m:
                json["table_url"] = m.TableUrl;
                json["table_rows"] = m.TableRows;
                json["run"] = m.RunKey;
                json["stream_name"] = m.StreamName;
                json["constants"] = Parse(m.ConstantsJson);
                json["metrics_table_url"] = m.MetricsTableUrl;
                json["require_full_coverage"] = m.RequireFullCoverage;
                if (m is MetricsJobSpec c)
                {
                    json["model"] = new JsonObject
                    {
                        ["kind"] = c.Model.Kind,
                        ["name"] = c.Model.Name,
                        ["weights_url"] = c.Model.WeightsUrl,
                        ["arguments"] = Parse(c.Model.ArgumentsJson),
                        ["device"] = c.Model.Device,
                    };
                    json["collectors"] = new JsonArray([.. c.Collectors.Select(x => (JsonNode?)new JsonObject { ["name"] = x.Name, ["arguments"] = Parse(x.ArgumentsJson) })]);
                    json["split"] = c.Split;
                    json["batch_size"] = c.BatchSize;
                    json["shard_rows"] = c.ShardRows;
                    json["exclude_zero_weights"] = c.ExcludeZeroWeights;
                }
                break;
            case ImportJobSpec i:
                json["format"] = i.Format;
                json["source_url"] = i.SourceUrl;
                json["table_url"] = i.TableUrl;
                json["error_policy"] = Name(i.ErrorPolicy);
                json["bytes"] = i.Bytes;
                break;
        }
        return json;
    }

    /// <summary>One line of progress for any kind: items, rows/s, ETA, failures and problems.</summary>
    public static string Describe(JobProgress p) =>
        $"{(p.Kind == JobKinds.Metrics ? "job" : p.Kind)} {p.JobId[..Math.Min(8, p.JobId.Length)]} {Name(p.Status)}: {p.ItemsCommitted}/{p.Items} {p.ItemNoun}s, " +
        $"{Number(p.RowsPerSecond)} rows/s" + (p.IsFinished ? "" : $", ETA {Duration(p.Eta)}") +
        (p.ItemsFailed > 0 ? $", {p.ItemsFailed} failed" : "") + (p.Errors.Length > 0 ? $", {p.Errors.Length} error(s)" : "");

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
