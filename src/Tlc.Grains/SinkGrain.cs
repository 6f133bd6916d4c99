using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Grains;

/// <summary>
/// Assembles committed parts into one immutable metrics table. Publication is metadata only: the parts' chunk files are
/// already final Arrow files, so publishing writes the object file (create-if-absent at the name fixed for the sink) after
/// checking that no example id appears twice across parts — and, for full coverage, that every id of the foreign table
/// appears — then registers the table with the run.
/// </summary>
internal sealed partial class SinkGrain(
    [PersistentState("sink", TlcGrainNames.Storage)] IPersistentState<SinkState> state,
    UrlAdapterRegistry adapters,
    TimeProvider time,
    ILogger<SinkGrain> logger) : Grain, ISinkGrain
{
    private SinkState Sink => state.State;

    public async Task InitAsync(SinkSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (Sink.Spec is not null)
        {
            if (Sink.Spec.MetricsTableUrl != spec.MetricsTableUrl)
            {
                throw new InvalidOperationException($"Sink {spec.SinkId} was started for {Sink.Spec.MetricsTableUrl}, not {spec.MetricsTableUrl}.");
            }
            return;
        }
        Sink.Spec = spec;
        Sink.Parts = spec.Parts;
        Sink.Committed = new byte[(spec.Parts + 7) / 8];
        await state.WriteStateAsync();
    }

    public async Task<int> AddPartAsync()
    {
        var spec = RequireSpec();
        if (Sink.PublishedUrl is not null)
        {
            throw new InvalidOperationException($"The metrics table of sink {spec.SinkId} is published: it takes no more parts.");
        }
        var index = Sink.Parts++;
        await state.WriteStateAsync();
        await GrainFactory.GetGrain<IPartGrain>(TlcGrainNames.PartKey(spec.SinkId, index)).InitAsync(spec.SinkId, null, 1, TimeSpan.MaxValue);
        return index;
    }

    public Task PartCommittedAsync(int index)
    {
        // Kept in memory only: the part grains hold the durable truth, and publication reads it from them. So commits
        // never queue behind a write of the sink's state.
        RequireSpec();
        Sink.MarkCommitted(index);
        return Task.CompletedTask;
    }

    public async Task<string> PublishAsync()
    {
        var spec = RequireSpec();
        if (Sink.PublishedUrl is { } published)
        {
            return published;
        }
        var parts = await Task.WhenAll(Enumerable.Range(0, Sink.Parts)
            .Select(i => GrainFactory.GetGrain<IPartGrain>(TlcGrainNames.PartKey(spec.SinkId, i)).GetAsync()));
        var missing = parts.Where(p => p.Commit is null).Select(p => p.Index).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"Sink {spec.SinkId}: parts {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", …" : "")} have no commit yet; nothing is published.");
        }
        if (CheckCoverage(spec, parts) is { } problem)
        {
            Sink.Error = problem;
            await state.WriteStateAsync();
            LogPublishRefused(logger, spec.SinkId, problem);
            throw new InvalidOperationException($"Sink {spec.SinkId}: {problem}; nothing is published.");
        }
        var url = new Url(spec.MetricsTableUrl);
        var table = BuildObject(spec, url, parts);
        try
        {
            await ObjectFiles.PublishAsync(adapters, url, table, WriteMode.CreateNew, CancellationToken.None);
        }
        catch (UrlAlreadyExistsException)
        {
            var existing = await ObjectFiles.ReadAsync(adapters, url, CancellationToken.None);
            if (existing.Properties?.GetValueOrDefault("sink_id") != spec.SinkId)
            {
                throw new InvalidOperationException($"Sink {spec.SinkId}: another table already exists at {url}; nothing is published.");
            }
            table = existing; // published before a crash: the same table
        }
        await GrainFactory.GetGrain<IRunGrain>(spec.RunKey).AddMetricsTableAsync(new RunMetricsTable(
            url.Value, spec.StreamName, table.RowCount, table.Chunks.Sum(c => c.Bytes), spec.ForeignTableUrl, spec.ConstantsJson));
        Sink.PublishedUrl = url.Value;
        Sink.Error = null;
        await state.WriteStateAsync();
        LogPublished(logger, spec.SinkId, url.Value, table.RowCount, parts.Length);
        return url.Value;
    }

    public Task<SinkSpec?> GetSpecAsync() => Task.FromResult(Sink.Spec);

    public Task<SinkStatus> GetAsync() => Task.FromResult(new SinkStatus(Sink.Parts, Sink.CommittedCount, Sink.PublishedUrl, Sink.Error));

    /// <summary>Every example id at most once across parts; with full coverage, every foreign row exactly once.</summary>
    private static string? CheckCoverage(SinkSpec spec, PartInfo[] parts)
    {
        var runs = parts.SelectMany(p => p.Commit!.IdRuns.Select(r => (Run: r, Part: p.Index))).OrderBy(r => r.Run.Start).ToList();
        long next = 0;
        var previousPart = -1;
        foreach (var (run, part) in runs)
        {
            if (run.Start < next)
            {
                return $"example_id {run.Start} appears in part {previousPart} and part {part}";
            }
            if (spec.RequireFullCoverage && run.Start > next)
            {
                return $"example_id {next} is missing";
            }
            if (run.Start + run.Count > spec.ForeignTableRows)
            {
                return $"example_id {run.Start + run.Count - 1} is beyond the foreign table's {spec.ForeignTableRows} rows";
            }
            next = run.Start + run.Count;
            previousPart = part;
        }
        if (spec.RequireFullCoverage && spec.Parts == 0 && next != spec.ForeignTableRows)
        {
            return $"example_id {next} is missing (the foreign table has {spec.ForeignTableRows} rows)";
        }
        return null;
    }

    private TableObject BuildObject(SinkSpec spec, Url url, PartInfo[] parts)
    {
        var schema = TableSchema.FromJson(JsonNode.Parse(spec.SchemaJson), $"sink {spec.SinkId} schema");
        var layout = TableLayout.Parse(url);
        var properties = new Dictionary<string, string>
        {
            ["foreign_table_url"] = spec.ForeignTableUrl,
            ["foreign_table_id"] = spec.ForeignTableObjectId,
            ["run"] = spec.RunKey,
            ["stream_name"] = spec.StreamName,
            ["sink_id"] = spec.SinkId,
        };
        if (spec.ConstantsJson is { } constants)
        {
            properties["constants"] = constants;
        }
        return new TableObject
        {
            Id = Guid.NewGuid().ToString("N")[..16],
            Name = url.Name,
            Project = layout?.Project ?? spec.RunKey.Split('/')[0],
            Created = time.GetUtcNow(),
            Description = $"Metrics of {spec.ForeignTableUrl} ({spec.StreamName})",
            RowCount = parts.Sum(p => p.Commit!.Rows),
            Schema = schema.ToJson(),
            Lineage = new Lineage { Kind = LineageKinds.Metrics },
            Revision = new RevisionInfo { Root = url.Name },
            Chunks = parts.Where(p => p.Commit!.Rows > 0).Select(p => new ChunkInfo
            {
                Url = p.Commit!.ChunkUrl,
                Rows = p.Commit.Rows,
                Bytes = p.Commit.Bytes,
                Batches = [.. p.Commit.Batches],
            }).ToList(),
            Properties = properties,
        };
    }

    private SinkSpec RequireSpec() => Sink.Spec ?? throw new InvalidOperationException($"Unknown sink '{this.GetPrimaryKeyString()}'.");
}
