using Tlc.Cluster;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Grains.Kinds;

/// <summary>
/// Imports (<see cref="JobKinds.Import"/>): a chunk's commit names a staged chunk file inside the table folder whose rows
/// its batches add up to (and, under the skip policy, its quarantine file). Publication is metadata only: the object file
/// lists the chunk files in chunk order, written last with create-if-absent; under the fail policy, chunks that found bad
/// rows refuse it, naming each one's first bad row. A job that will never publish deletes its staged files, and the
/// plan's side files go once no chunk can be converted again.
/// </summary>
internal sealed class ImportKind : IJobKind
{
    public string Name => JobKinds.Import;

    public string? Validate(JobSpec spec, WorkItemPlan? plan, ItemCommit commit)
    {
        if (commit is not ImportChunkCommit chunk)
        {
            return $"a chunk commits an {nameof(ImportChunkCommit)}, not a {commit.GetType().Name}";
        }
        foreach (var (name, url) in new[] { ("chunk", chunk.ChunkUrl), ("quarantine", chunk.QuarantineUrl) })
        {
            if (url is not null && (url.Length == 0 || Url.IsAbsolute(url) || url.Contains("..", StringComparison.Ordinal)))
            {
                return $"the {name} url '{url}' must be relative to the table folder";
            }
        }
        if (chunk.Batches.Sum(b => (long)b) != chunk.Rows)
        {
            return $"the chunk has {chunk.Rows} rows but its batches hold {chunk.Batches.Sum(b => (long)b)}";
        }
        if (chunk.Rows > 0 && chunk.ChunkUrl is null)
        {
            return $"{chunk.Rows} rows but no chunk file";
        }
        if (chunk.QuarantinedRows > 0 != chunk.QuarantineUrl is not null)
        {
            return "quarantined rows and the quarantine file go together";
        }
        return null;
    }

    public async Task<JobResult> PublishAsync(JobContext job, CancellationToken cancellationToken)
    {
        var spec = (ImportJobSpec)job.Spec;
        var commits = new List<ImportChunkCommit>();
        await foreach (var item in job.ItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            commits.Add(item.Commit as ImportChunkCommit ?? throw new InvalidOperationException($"chunk {item.Index} has no commit"));
        }
        var badRows = commits.Select(c => c.Error).OfType<string>().ToList();
        if (badRows.Count > 0)
        {
            throw new JobRefusedException(badRows);
        }
        var url = new Url(spec.TableUrl);
        var now = job.Time.GetUtcNow();
        var table = ImportJobs.BuildObject(spec, commits, now);
        var quarantined = commits.Sum(c => c.QuarantinedRows);
        string? quarantineUrl = null;
        if (quarantined > 0)
        {
            // The quarantine table first, so the table never names one that is not there.
            var quarantine = ImportJobs.QuarantineUrl(spec);
            await PublishOnceAsync(job, spec, quarantine, ImportJobs.BuildQuarantineObject(spec, commits, now), cancellationToken).ConfigureAwait(false);
            table.Properties!["quarantine_table"] = quarantine.Value;
            quarantineUrl = quarantine.Value;
        }
        await PublishOnceAsync(job, spec, url, table, cancellationToken).ConfigureAwait(false);
        return new JobResult(url.Value, quarantineUrl, quarantined);
    }

    public async Task DiscardAsync(JobContext job, CancellationToken cancellationToken)
    {
        var spec = (ImportJobSpec)job.Spec;
        var table = new Url(spec.TableUrl);
        var quarantine = ImportJobs.QuarantineUrl(spec);
        await foreach (var item in job.ItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Commit is not ImportChunkCommit commit)
            {
                continue;
            }
            var files = new List<Url>();
            if (commit.ChunkUrl is { } chunk)
            {
                files.Add(table.Join(chunk));
                if (ImportJobs.BulkFolder(spec, ImportJobs.WriteId(spec.JobId, item.Index, commit.Attempt, commit.Token ?? "")) is { } bulk)
                {
                    files.Add(bulk);
                }
            }
            if (commit.QuarantineUrl is { } quarantined)
            {
                files.Add(quarantine.Join(quarantined));
            }
            foreach (var file in files)
            {
                try
                {
                    await job.Adapters.DeleteAsync(file, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException)
                {
                    // tlc gc removes what no object references.
                }
            }
        }
    }

    public Task EndedAsync(JobContext job, JobStatus status, CancellationToken cancellationToken) =>
        // The plan's side files (COCO) are needed until no chunk can be converted again.
        ImportJobs.DeletePlanFilesAsync((ImportJobSpec)job.Spec, job.Adapters, cancellationToken);

    /// <summary>Publishes <paramref name="table"/> at <paramref name="url"/> unless this job published it before a crash.</summary>
    private static async Task PublishOnceAsync(JobContext job, ImportJobSpec spec, Url url, TableObject table, CancellationToken cancellationToken)
    {
        try
        {
            await ObjectFiles.PublishAsync(job.Adapters, url, table, WriteMode.CreateNew, cancellationToken).ConfigureAwait(false);
        }
        catch (UrlAlreadyExistsException)
        {
            var existing = await ObjectFiles.ReadAsync(job.Adapters, url, cancellationToken).ConfigureAwait(false);
            if (existing.Properties?.GetValueOrDefault("import_job") != spec.JobId)
            {
                throw new JobRefusedException([$"another table was published at {url} meanwhile; nothing is published"]);
            }
        }
    }
}
