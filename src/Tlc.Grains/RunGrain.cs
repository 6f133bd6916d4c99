using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Tables.Urls;

namespace Tlc.Grains;

/// <summary>
/// A run: parameters, status, input tables, metrics tables, outputs and a summary of logged aggregates (the entries themselves
/// are in log segment files the client writes). A run whose owner stops sending heartbeats while it is active reads as
/// <see cref="RunStatus.Interrupted"/>. Each change also writes a small <c>object.tlc.json</c> snapshot in the run folder so
/// runs are visible in the files.
/// </summary>
internal sealed partial class RunGrain(
    [PersistentState("run", TlcGrainNames.Storage)] IPersistentState<RunInfo> state,
    UrlAdapterRegistry adapters,
    TimeProvider time,
    ILogger<RunGrain> logger) : Grain, IRunGrain
{
    private static readonly JsonSerializerOptions SnapshotJson = new() { WriteIndented = true };

    private RunInfo Run => state.State;

    public async Task<RunInfo> InitAsync(RunInit init)
    {
        ArgumentNullException.ThrowIfNull(init);
        var now = time.GetUtcNow();
        if (!Run.Exists || !init.Reuse)
        {
            state.State = new RunInfo
            {
                Project = init.Project,
                Name = init.Name,
                Url = init.Url,
                Created = now,
                Exists = true,
                Status = RunStatus.Empty,
            };
        }
        Run.Description = init.Description ?? Run.Description;
        Run.ParametersJson = Merge(Run.ParametersJson, init.ParametersJson);
        Run.Owner = init.Owner;
        Run.OwnerDeadline = now + TimeSpan.FromMinutes(1);
        if (Run.Status is RunStatus.Interrupted or RunStatus.Completed or RunStatus.Cancelled)
        {
            Run.Status = RunStatus.Running;
        }
        await SaveAsync(now);
        LogRunStarted(logger, init.Project, init.Name, init.Owner.ToString(), init.Reuse);
        return Run.Clone();
    }

    public async Task<RunInfo> GetAsync()
    {
        await MarkInterruptedIfOwnerDiedAsync();
        return Run.Clone();
    }

    public async Task SetParametersAsync(string parametersJson)
    {
        EnsureExists();
        Run.ParametersJson = Merge(Run.ParametersJson, parametersJson);
        await SaveAsync(time.GetUtcNow());
    }

    public async Task SetDescriptionAsync(string description)
    {
        EnsureExists();
        Run.Description = description;
        await SaveAsync(time.GetUtcNow());
    }

    public async Task SetStatusAsync(RunStatus status)
    {
        EnsureExists();
        Run.Status = status;
        if (status is RunStatus.Completed or RunStatus.Cancelled)
        {
            Run.Owner = null;
        }
        await SaveAsync(time.GetUtcNow());
    }

    public async Task LogAsync(LogUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        EnsureExists();
        foreach (var (key, value) in update.Values)
        {
            Run.LatestAggregates[key] = value;
        }
        Run.LogEntries += update.Entries;
        if (update.Segment is { } segment && !Run.LogSegments.Contains(segment))
        {
            Run.LogSegments.Add(segment);
        }
        await SaveAsync(time.GetUtcNow());
    }

    public async Task<Dictionary<string, double>?> LogRankAsync(RankLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        EnsureExists();
        if (entry.WorldSize < 1 || entry.Rank < 0 || entry.Rank >= entry.WorldSize)
        {
            throw new ArgumentOutOfRangeException(nameof(entry), $"Rank {entry.Rank} is outside 0..{entry.WorldSize - 1}.");
        }
        var key = $"{entry.LaunchId}|{entry.WorldSize}|{entry.StepKey}={entry.Step.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
        if (!Run.PendingRankLogs.TryGetValue(key, out var pending))
        {
            Run.PendingRankLogs[key] = pending = new PendingRankLog();
        }
        pending.Ranks[entry.Rank] = entry.Values;
        Dictionary<string, double>? reduced = null;
        if (pending.Ranks.Count == entry.WorldSize)
        {
            reduced = new Dictionary<string, double>(StringComparer.Ordinal) { [entry.StepKey] = entry.Step };
            foreach (var name in pending.Ranks.Values.SelectMany(v => v.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                var values = pending.Ranks.Values.Where(v => v.ContainsKey(name)).Select(v => v[name]).ToList();
                reduced[name] = entry.Reduction == LogReduction.Sum ? values.Sum() : values.Average();
                Run.LogReductions[name] = $"{(entry.Reduction == LogReduction.Sum ? "sum" : "mean")} of {values.Count} ranks";
            }
            Run.PendingRankLogs.Remove(key);
        }
        await SaveAsync(time.GetUtcNow());
        return reduced;
    }

    public async Task AddInputAsync(string tableUrl)
    {
        EnsureExists();
        if (!Run.Inputs.Contains(tableUrl))
        {
            Run.Inputs.Add(tableUrl);
            await SaveAsync(time.GetUtcNow());
        }
    }

    public async Task AddMetricsTableAsync(RunMetricsTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        EnsureExists();
        if (Run.MetricsTables.Any(t => t.Url == table.Url))
        {
            return;
        }
        Run.MetricsTables.Add(table);
        await SaveAsync(time.GetUtcNow());
        LogMetricsTableRegistered(logger, Run.Project, Run.Name, table.Url, table.RowCount);
    }

    public async Task AddOutputAsync(RunOutput output, bool replace)
    {
        ArgumentNullException.ThrowIfNull(output);
        EnsureExists();
        if (output.Problem() is { } problem)
        {
            throw new ArgumentException($"Run {Run.Project}/{Run.Name}: {problem}.", nameof(output));
        }
        var at = Run.Outputs.FindIndex(o => o.Name == output.Name);
        if (at >= 0 && Run.Outputs[at] == output)
        {
            // The same output again (a call repeated after a lost answer): already recorded.
            return;
        }
        if (at >= 0 && !replace)
        {
            throw new InvalidOperationException(
                $"Run {Run.Project}/{Run.Name} already has an output named '{output.Name}' ({Run.Outputs[at].Url}); give another name or replace it.");
        }
        if (at >= 0)
        {
            Run.Outputs[at] = output;
        }
        else
        {
            Run.Outputs.Add(output);
        }
        await SaveAsync(time.GetUtcNow());
    }

    public async Task HeartbeatAsync(WorkerRef owner, DateTimeOffset deadline)
    {
        ArgumentNullException.ThrowIfNull(owner);
        EnsureExists();
        if (Run.Owner == owner)
        {
            Run.OwnerDeadline = deadline;
            await state.WriteStateAsync();
        }
    }

    private async Task MarkInterruptedIfOwnerDiedAsync()
    {
        var now = time.GetUtcNow();
        if (Run.Exists && Run.Owner is not null && Run.OwnerDeadline < now
            && Run.Status is RunStatus.Empty or RunStatus.Running or RunStatus.Collecting or RunStatus.PostProcessing)
        {
            LogRunInterrupted(logger, Run.Project, Run.Name, Run.Owner.ToString(), Run.OwnerDeadline);
            Run.Status = RunStatus.Interrupted;
            Run.Owner = null;
            await SaveAsync(now);
        }
    }

    private void EnsureExists()
    {
        if (!Run.Exists)
        {
            throw new InvalidOperationException($"Unknown run '{this.GetPrimaryKeyString()}': start it with Init first.");
        }
    }

    private async Task SaveAsync(DateTimeOffset now)
    {
        Run.Updated = now;
        await state.WriteStateAsync();
        // A readable snapshot beside the run's files (small; the grain state is the truth for status).
        var snapshot = JsonSerializer.SerializeToUtf8Bytes(new
        {
            type = "run",
            project = Run.Project,
            name = Run.Name,
            description = Run.Description,
            status = Run.Status.ToString(),
            created = Run.Created,
            updated = Run.Updated,
            parameters = JsonNode.Parse(Run.ParametersJson),
            inputs = Run.Inputs,
            metrics = Run.MetricsTables.Select(m => new { url = m.Url, stream_name = m.StreamName, row_count = m.RowCount, file_size = m.FileSize, foreign_table_url = m.ForeignTableUrl,
                constants = m.ConstantsJson is null ? null : JsonNode.Parse(m.ConstantsJson) }),
            aggregates = Run.LatestAggregates,
            log_segments = Run.LogSegments,
            log_reductions = Run.LogReductions,
            outputs = Run.Outputs.Select(o => new { name = o.Name, url = o.Url, kind = o.Kind, description = o.Description, size = o.Size, created = o.Created }),
        }, SnapshotJson);
        await adapters.WriteAllBytesAsync(new Url(Run.Url).Join("object.tlc.json"), snapshot, WriteMode.Overwrite, CancellationToken.None);
    }

    private static string Merge(string current, string update)
    {
        var target = JsonNode.Parse(string.IsNullOrWhiteSpace(current) ? "{}" : current) as JsonObject ?? [];
        var source = JsonNode.Parse(string.IsNullOrWhiteSpace(update) ? "{}" : update) as JsonObject
            ?? throw new ArgumentException($"Run parameters must be a JSON object, got: {update}");
        foreach (var (key, value) in source)
        {
            target[key] = value?.DeepClone();
        }
        return target.ToJsonString();
    }
}
