using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Diagnostics;

namespace Tlc.Grains.Imports;

/// <summary>
/// One chunk of an import: hosts the lease/commit protocol (<see cref="LeaseProtocol"/>) for it and checks commits (a
/// chunk file inside the table folder, rows that add up). Each chunk's state is its own, so commits never contend.
/// </summary>
internal sealed class ImportChunkGrain(
    [PersistentState("chunk", TlcGrainNames.Storage)] IPersistentState<ImportChunkState> state,
    TimeProvider time,
    ILogger<ImportChunkGrain> logger) : LeasedItemGrain<ImportChunkState>(state, time, logger), IImportChunkGrain
{
    private ImportChunkState Chunk => Item;

    protected override string Kind => "Import chunk";

    public async Task InitAsync(string jobId, int index, int maxAttempts, TimeSpan leaseDuration)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        if (Chunk.JobId is not null)
        {
            if (Chunk.JobId != jobId || Chunk.Index != index)
            {
                throw new InvalidOperationException($"Import chunk {this.GetPrimaryKeyString()} was started for another job.");
            }
            return;
        }
        Chunk.JobId = jobId;
        Chunk.Index = index;
        Chunk.MaxAttempts = Math.Max(1, maxAttempts);
        Chunk.LeaseDuration = leaseDuration;
        await State.WriteStateAsync();
    }



    public async Task<CommitResult> CommitAsync(ImportChunkCommit commit)
    {
        ArgumentNullException.ThrowIfNull(commit);
        if (Chunk.JobId is null)
        {
            return new CommitResult(CommitOutcome.Rejected, $"Import chunk {this.GetPrimaryKeyString()} is unknown.");
        }
        if (Chunk.Lease.Status == WorkStatus.Committed)
        {
            var repeat = LeaseProtocol.Commit(Chunk.Lease, commit.OperationId, commit.Attempt);
            if (repeat == CommitOutcome.Duplicate)
            {
                // A retry after a timeout: make sure the job heard of it.
                await NotifyJobAsync();
            }
            return new CommitResult(repeat);
        }
        if (Chunk.Cancelled)
        {
            return new CommitResult(CommitOutcome.Rejected, "the import was cancelled");
        }
        if (Validate(commit) is { } problem)
        {
            CommitRejected(problem);
            return new CommitResult(CommitOutcome.Rejected, $"chunk {Chunk.Index}: {problem}");
        }
        var outcome = LeaseProtocol.Commit(Chunk.Lease, commit.OperationId, commit.Attempt);
        if (outcome != CommitOutcome.Accepted)
        {
            return new CommitResult(outcome, outcome == CommitOutcome.Rejected ? $"chunk {Chunk.Index}: attempt {commit.Attempt} was never granted" : null);
        }
        Chunk.Commit = commit;
        await State.WriteStateAsync();
        TlcMetrics.ItemCommitted(TlcMetrics.Imports);
        await NotifyJobAsync();
        return new CommitResult(CommitOutcome.Accepted);
    }




    public Task<ImportChunkInfo> GetAsync() => Task.FromResult(new ImportChunkInfo(Chunk.Index, LeaseStates.Copy(Chunk.Lease), Chunk.Commit));

    /// <summary>Why <paramref name="commit"/> is not a valid result for this chunk, or null.</summary>
    private static string? Validate(ImportChunkCommit commit)
    {
        foreach (var (name, url) in new[] { ("chunk", commit.ChunkUrl), ("quarantine", commit.QuarantineUrl) })
        {
            if (url is not null && (url.Length == 0 || Url.IsAbsolute(url) || url.Contains("..", StringComparison.Ordinal)))
            {
                return $"the {name} url '{url}' must be relative to the table folder";
            }
        }
        if (commit.Rows < 0 || commit.Batches.Sum(b => (long)b) != commit.Rows)
        {
            return $"the chunk has {commit.Rows} rows but its batches hold {commit.Batches.Sum(b => (long)b)}";
        }
        if (commit.Rows > 0 && commit.ChunkUrl is null)
        {
            return $"{commit.Rows} rows but no chunk file";
        }
        if (commit.QuarantinedRows > 0 != commit.QuarantineUrl is not null)
        {
            return "quarantined rows and the quarantine file go together";
        }
        return null;
    }

    protected override Task NotifyJobAsync() =>
        GrainFactory.GetGrain<IImportJobGrain>(Chunk.JobId!).ChunkChangedAsync(Chunk.Index, Chunk.Lease.Status, Chunk.Commit?.Rows ?? 0, Chunk.Commit?.Error);
}
