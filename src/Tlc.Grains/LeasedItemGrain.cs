using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>The durable state every leased work item has (a metrics shard, an import chunk).</summary>
public interface ILeasedItemState
{
    /// <summary>The job (or sink) the item belongs to; null until the item is initialised.</summary>
    string? Owner { get; }

    /// <summary>The item's index in its job.</summary>
    int Index { get; }

    /// <summary>Attempts before the item fails.</summary>
    int MaxAttempts { get; }

    /// <summary>Lease length.</summary>
    TimeSpan LeaseDuration { get; }

    /// <summary>The lease state.</summary>
    LeaseState Lease { get; }

    /// <summary>True once the job was cancelled.</summary>
    bool Cancelled { get; set; }
}

/// <summary>
/// A grain hosting the lease/commit protocol (<see cref="LeaseProtocol"/>) for one work item with its own small durable
/// state, so commits never contend: leasing, renewal, reported failures, reset for a retry and cancellation. Commits and
/// their validation are the item kind's (<see cref="PartGrain"/>, <see cref="Imports.ImportChunkGrain"/>).
/// </summary>
internal abstract partial class LeasedItemGrain<TState>(IPersistentState<TState> state, TimeProvider time, ILogger logger) : Grain
    where TState : class, ILeasedItemState
{
    /// <summary>The item's state.</summary>
    protected TState Item => state.State;

    /// <summary>The persistent state (to write after a change).</summary>
    protected IPersistentState<TState> State => state;

    /// <summary>The logger.</summary>
    protected ILogger Logger => logger;

    /// <summary>What the item is called in logs ("Part", "Import chunk").</summary>
    protected abstract string Kind { get; }

    /// <summary>Tells the job that the item changed.</summary>
    protected abstract Task NotifyJobAsync();

    public async Task<LeaseGrant?> TryLeaseAsync(WorkerRef worker)
    {
        if (Item.Owner is null || Item.Cancelled)
        {
            return null;
        }
        var before = Item.Lease.Status;
        var grant = LeaseProtocol.TryLease(Item.Lease, Item.Index, worker, time.GetUtcNow(), Item.LeaseDuration, Item.MaxAttempts);
        if (grant is null && Item.Lease.Status == before)
        {
            return null;
        }
        if (before == WorkStatus.Leased && Item.Lease.Expirations > 0)
        {
            LogLeaseExpired(logger, Kind, this.GetPrimaryKeyString(), Item.Lease.Errors[^1]);
        }
        await state.WriteStateAsync();
        if (Item.Lease.Status == WorkStatus.Failed)
        {
            await NotifyJobAsync();
        }
        return grant;
    }

    public async Task<RenewOutcome> RenewAsync(string token)
    {
        if (Item.Cancelled)
        {
            return RenewOutcome.Lost;
        }
        var outcome = LeaseProtocol.Renew(Item.Lease, token, time.GetUtcNow(), Item.LeaseDuration);
        if (outcome == RenewOutcome.Renewed)
        {
            await state.WriteStateAsync();
        }
        return outcome;
    }

    public async Task ReportFailureAsync(string token, string error)
    {
        if (LeaseProtocol.ReportFailure(Item.Lease, token, error, Item.MaxAttempts))
        {
            LogAttemptFailed(logger, Kind, this.GetPrimaryKeyString(), Item.Lease.Attempt, error);
            await state.WriteStateAsync();
            await NotifyJobAsync();
        }
    }

    public async Task ResetAsync()
    {
        if (Item.Lease.Status == WorkStatus.Failed)
        {
            LeaseProtocol.Reset(Item.Lease);
            await state.WriteStateAsync();
            await NotifyJobAsync();
        }
    }

    public async Task CancelAsync()
    {
        if (!Item.Cancelled)
        {
            Item.Cancelled = true;
            await state.WriteStateAsync();
        }
    }

    /// <summary>Logs a commit refused by validation.</summary>
    protected void CommitRejected(string problem) => LogCommitRejected(logger, Kind, this.GetPrimaryKeyString(), problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Item}: {Expiry}")]
    private static partial void LogLeaseExpired(ILogger logger, string kind, string item, string expiry);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Item}: commit rejected: {Problem}")]
    private static partial void LogCommitRejected(ILogger logger, string kind, string item, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Kind} {Item}: attempt {Attempt} failed: {Error}")]
    private static partial void LogAttemptFailed(ILogger logger, string kind, string item, int attempt, string error);
}
