using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Grains.Kinds;

/// <summary>
/// Publishes a metrics table from committed parts, for every kind that makes one (collect jobs, writers' streams):
/// metadata only — the parts' chunk files are already final Arrow files — so publishing writes the object file
/// (create-if-absent at the name fixed for the job) listing the chunks (in item order; writers' parts by their smallest
/// example_id, with rows read in example_id order), then registers the table with its run. Also what the kinds share to
/// check a part's commit and to delete parts that will never be published.
/// </summary>
internal static class MetricsTablePublisher
{
    /// <summary>Checks what every part commit must be: a chunk inside the metrics table folder whose rows, batches and ids agree.</summary>
    public static string? ValidatePart(MetricsTableSpec spec, PartCommit commit)
    {
        if (string.IsNullOrEmpty(commit.ChunkUrl) || Url.IsAbsolute(commit.ChunkUrl) || commit.ChunkUrl.Contains("..", StringComparison.Ordinal))
        {
            return $"the chunk url '{commit.ChunkUrl}' must be relative to the metrics table folder";
        }
        if (commit.Ids.Problem() is { } problem)
        {
            return problem;
        }
        var batches = commit.Batches.Sum(b => (long)b);
        if (commit.Ids.Count != commit.Rows || batches != commit.Rows)
        {
            return $"the chunk has {commit.Rows} rows but its ids number {commit.Ids.Count} and its batches {batches}";
        }
        if (commit.Ids.Count > 0 && commit.Ids.Max >= spec.TableRows)
        {
            return $"example_id {commit.Ids.Max} is beyond the {spec.TableRows} rows of {spec.TableUrl}";
        }
        return null;
    }

    /// <summary>
    /// Publishes the metrics table of <paramref name="job"/>. With <paramref name="checkOverlaps"/> (parts not cut from a
    /// plan), every example id is checked to appear at most once across parts — and, for full coverage, exactly once —
    /// with a bitmap of the input table's rows (publication only; no grain holds it).
    /// </summary>
    public static async Task<JobResult> PublishAsync(JobContext job, bool checkOverlaps, CancellationToken cancellationToken)
    {
        var spec = (MetricsTableSpec)job.Spec;
        var parts = new List<(int Item, PartCommit Commit)>();
        await foreach (var item in job.ItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            parts.Add((item.Index, item.Commit as PartCommit
                ?? throw new InvalidOperationException($"Job {spec.JobId}: {spec.ItemNoun} {item.Index} has no commit; nothing is published.")));
        }
        if (checkOverlaps && CheckCoverage(spec, parts) is { } problem)
        {
            throw new JobRefusedException([$"{problem}; nothing is published"]);
        }
        if (!checkOverlaps && spec.RequireFullCoverage && parts.Sum(p => p.Commit.Rows) != spec.TableRows)
        {
            throw new JobRefusedException([$"the parts hold {parts.Sum(p => p.Commit.Rows)} rows, not the {spec.TableRows} of {spec.TableUrl}; nothing is published"]);
        }
        var url = new Url(spec.MetricsTableUrl);
        // Parts cut from a plan come in example_id order. Writers' parts (ranks) may interleave: they are listed by their
        // smallest id, and readers put the rows in example_id order (a reader finds them in order already when no two
        // parts interleave and each writer wrote its ids ascending).
        var commits = checkOverlaps
            ? parts.Select(p => p.Commit).Where(c => c.Rows > 0).OrderBy(c => c.Ids.Min).ToList()
            : parts.Select(p => p.Commit).ToList();
        var table = BuildObject(spec, url, commits, orderOnRead: checkOverlaps, job.Time.GetUtcNow());
        try
        {
            await ObjectFiles.PublishAsync(job.Adapters, url, table, WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlAlreadyExistsException)
        {
            var existing = await ObjectFiles.ReadAsync(job.Adapters, url, cancellationToken).ConfigureAwait(false);
            if (existing.Properties?.GetValueOrDefault("job_id") != spec.JobId)
            {
                throw new JobRefusedException([$"another table already exists at {url}; nothing is published"]);
            }
            table = existing; // published before a crash: the same table
        }
        await job.Grains.GetGrain<IRunGrain>(spec.RunKey).AddMetricsTableAsync(new RunMetricsTable(
            url.Value, spec.StreamName, table.RowCount, table.Chunks.Sum(c => c.Bytes), spec.TableUrl, spec.ConstantsJson)).ConfigureAwait(false);
        return new JobResult(url.Value);
    }

    /// <summary>Deletes the chunk files of committed parts (the job will never publish them).</summary>
    public static Task DiscardAsync(JobContext job, CancellationToken cancellationToken) =>
        DeleteChunksAsync(job, job.AllItemsAsync(cancellationToken), cancellationToken);

    /// <summary>Deletes the chunk files of parts of replaced attempts (a writer that restarted), once the table is published without them.</summary>
    public static Task DiscardReplacedAsync(JobContext job, CancellationToken cancellationToken) =>
        DeleteChunksAsync(job, job.ReplacedItemsAsync(cancellationToken), cancellationToken);

    private static async Task DeleteChunksAsync(JobContext job, IAsyncEnumerable<ItemInfo> items, CancellationToken cancellationToken)
    {
        var folder = new Url(((MetricsTableSpec)job.Spec).MetricsTableUrl);
        await foreach (var item in items.ConfigureAwait(false))
        {
            if (item.Commit is PartCommit { ChunkUrl: { Length: > 0 } chunk })
            {
                await job.Adapters.DeleteAsync(folder.Join(chunk), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every example id at most once across parts; with full coverage, every input row exactly once.</summary>
    private static string? CheckCoverage(MetricsTableSpec spec, List<(int Item, PartCommit Commit)> parts)
    {
        var seen = new byte[(spec.TableRows + 7) / 8];
        foreach (var (item, commit) in parts)
        {
            foreach (var run in commit.Ids.ToRuns())
            {
                for (var id = run.Start; id < run.Start + run.Count; id++)
                {
                    var mask = (byte)(1 << (int)(id & 7));
                    if ((seen[id >> 3] & mask) != 0)
                    {
                        var first = parts.First(p => p.Commit.Ids.Min <= id && p.Commit.Ids.Max >= id && p.Commit.Ids.ToRuns().Any(r => r.Start <= id && id < r.Start + r.Count));
                        return $"example_id {id} appears in {spec.ItemNoun} {first.Item} and {spec.ItemNoun} {item}";
                    }
                    seen[id >> 3] |= mask;
                }
            }
        }
        if (spec.RequireFullCoverage)
        {
            for (long id = 0; id < spec.TableRows; id++)
            {
                if ((seen[id >> 3] & (1 << (int)(id & 7))) == 0)
                {
                    return $"example_id {id} is missing (the foreign table has {spec.TableRows} rows)";
                }
            }
        }
        return null;
    }

    private static TableObject BuildObject(MetricsTableSpec spec, Url url, List<PartCommit> parts, bool orderOnRead, DateTimeOffset now)
    {
        var schema = TableSchema.FromJson(JsonNode.Parse(spec.OutputSchemaJson), $"job {spec.JobId} schema");
        var layout = TableLayout.Parse(url);
        var properties = new Dictionary<string, string>
        {
            [TableObject.ForeignTableUrlProperty] = spec.TableUrl,
            ["foreign_table_id"] = spec.TableObjectId,
            [TableObject.RunProperty] = spec.RunKey,
            [TableObject.StreamNameProperty] = spec.StreamName,
            ["job_id"] = spec.JobId,
        };
        if (spec.ConstantsJson is { } constants)
        {
            properties[TableObject.ConstantsProperty] = constants;
        }
        if (orderOnRead)
        {
            properties[TableObject.RowOrderProperty] = "example_id";
        }
        return new TableObject
        {
            Id = Guid.NewGuid().ToString("N")[..16],
            Name = url.Name,
            Project = layout?.Project ?? spec.RunKey.Split('/')[0],
            Created = now,
            Description = $"Metrics of {spec.TableUrl} ({spec.StreamName})",
            RowCount = parts.Sum(p => p.Rows),
            Schema = schema.ToJson(),
            Lineage = new Lineage { Kind = LineageKinds.Metrics },
            Revision = new RevisionInfo { Root = url.Name },
            Chunks = parts.Where(p => p.Rows > 0).Select(p => new ChunkInfo
            {
                Url = p.ChunkUrl,
                Rows = p.Rows,
                Bytes = p.Bytes,
                Batches = [.. p.Batches],
            }).ToList(),
            Properties = properties,
        };
    }
}
