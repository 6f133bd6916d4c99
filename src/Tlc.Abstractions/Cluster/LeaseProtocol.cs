namespace Tlc.Cluster;

/// <summary>
/// The one lease/commit protocol that drives metrics shards, import chunks and training-rank streams: a plain state
/// machine over <see cref="LeaseState"/> with the time passed in (from a <see cref="TimeProvider"/>), no Orleans inside,
/// so it is tested on its own and hosted by any grain.
/// <list type="bullet">
/// <item>A pending item, or a leased one whose deadline passed, can be leased: the attempt number grows.</item>
/// <item>Only the current holder renews; an expired lease is lost.</item>
/// <item>The first valid commit wins; a repeat of it (same operation id) is a no-op; any other later commit is superseded —
/// including a late commit from a worker presumed dead, and one after a re-lease.</item>
/// <item>A reported failure of the current attempt returns the item to pending, or fails it after the maximum attempts; a
/// permanent failure (the spec itself is wrong: a missing model file, an unknown collector) fails it at once.</item>
/// <item>An item owned by its writer (<see cref="Own"/>) is never leased and never expires; only a commit ends it.</item>
/// </list>
/// </summary>
public static class LeaseProtocol
{
    /// <summary>True when <paramref name="state"/> can be leased now.</summary>
    public static bool IsAvailable(LeaseState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.Status == WorkStatus.Pending || (state.Status == WorkStatus.Leased && state.Deadline <= now);
    }

    /// <summary>Leases the item to <paramref name="worker"/>, or returns null when it is not available.</summary>
    public static LeaseGrant? TryLease(LeaseState state, int item, WorkerRef worker, DateTimeOffset now, TimeSpan duration, int maxAttempts)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(worker);
        if (!IsAvailable(state, now))
        {
            return null;
        }
        if (state.Status == WorkStatus.Leased)
        {
            state.Expirations++;
            state.Errors = [.. state.Errors, $"attempt {state.Attempt} by {state.Holder}: lease expired at {state.Deadline:O}, taken back at {now:O}"];
            if (state.Attempt >= maxAttempts)
            {
                Fail(state);
                return null;
            }
        }
        state.Status = WorkStatus.Leased;
        state.Attempt++;
        state.Holder = worker;
        Span<byte> token = stackalloc byte[8];
        System.Security.Cryptography.RandomNumberGenerator.Fill(token);
        state.Token = Convert.ToHexStringLower(token);
        state.Deadline = now + duration;
        state.Graced = false;
        return new LeaseGrant(item, state.Attempt, state.Token, state.Deadline);
    }

    /// <summary>Gives a new item to the writer <paramref name="owner"/> as its part <paramref name="part"/>, which it will commit (no lease, no deadline).</summary>
    public static void Own(LeaseState state, WorkerRef owner, int part)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(owner);
        if (state.Status != WorkStatus.Pending || state.Attempt != 0)
        {
            throw new InvalidOperationException($"Only a new item can be owned (this one is {state.Status}, attempt {state.Attempt}).");
        }
        state.Status = WorkStatus.Owned;
        state.Attempt = 1;
        state.Holder = owner;
        state.Token = null;
        state.Deadline = DateTimeOffset.MaxValue;
        state.Part = part;
    }

    /// <summary>Extends the lease of the holder presenting <paramref name="token"/>.</summary>
    public static RenewOutcome Renew(LeaseState state, string token, DateTimeOffset now, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status == WorkStatus.Committed)
        {
            return RenewOutcome.Committed;
        }
        if (state.Status != WorkStatus.Leased || state.Token != token || state.Deadline <= now)
        {
            return RenewOutcome.Lost;
        }
        state.Deadline = now + duration;
        state.Graced = false;
        return RenewOutcome.Renewed;
    }

    /// <summary>
    /// Records a commit of a valid result by operation <paramref name="operationId"/> for <paramref name="attempt"/>.
    /// Validity is the caller's to check before (e.g. the example ids); an invalid result is never passed here.
    /// </summary>
    public static CommitOutcome Commit(LeaseState state, string operationId, int attempt)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentException.ThrowIfNullOrEmpty(operationId);
        if (state.Status == WorkStatus.Committed)
        {
            return state.CommittedOperation == operationId ? CommitOutcome.Duplicate : CommitOutcome.Superseded;
        }
        if (state.Status == WorkStatus.Owned)
        {
            // The writer's own item: its single attempt.
            attempt = 1;
        }
        if (state.Status == WorkStatus.Failed || attempt < 1 || attempt > state.Attempt)
        {
            // A failed item stays failed; an attempt that was never granted cannot commit.
            return CommitOutcome.Rejected;
        }
        // A writer's own item keeps its owner (whose share it belongs to); a leased one forgets its holder.
        state.Holder = state.Status == WorkStatus.Owned ? state.Holder : null;
        state.Status = WorkStatus.Committed;
        state.CommittedOperation = operationId;
        state.CommittedAttempt = attempt;
        state.Token = null;
        return CommitOutcome.Accepted;
    }

    /// <summary>
    /// Records that the holder presenting <paramref name="token"/> failed with <paramref name="error"/>: the item returns to
    /// pending, or fails after <paramref name="maxAttempts"/> — at once when <paramref name="permanent"/> (another attempt
    /// cannot succeed). Returns false when the token is not the current lease's.
    /// </summary>
    public static bool ReportFailure(LeaseState state, string token, string error, int maxAttempts, bool permanent = false)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status != WorkStatus.Leased || state.Token != token)
        {
            return false;
        }
        state.Errors = [.. state.Errors, $"attempt {state.Attempt} by {state.Holder}: {error}"];
        if (permanent || state.Attempt >= maxAttempts)
        {
            Fail(state);
        }
        else
        {
            state.Status = WorkStatus.Pending;
            state.Holder = null;
            state.Token = null;
        }
        return true;
    }

    /// <summary>
    /// Gives back a lease its holder never started working on (a worker draining with leases it fetched ahead): the item
    /// returns to pending as if that lease had never been granted. Returns false when the token is not the current lease's.
    /// </summary>
    public static bool Release(LeaseState state, string token)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status != WorkStatus.Leased || state.Token != token)
        {
            return false;
        }
        state.Status = WorkStatus.Pending;
        state.Attempt--;
        state.Holder = null;
        state.Token = null;
        state.Deadline = default;
        return true;
    }

    /// <summary>Returns the item to pending for a retry of a failed job: attempts and errors start over.</summary>
    public static void Reset(LeaseState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Status is WorkStatus.Committed or WorkStatus.Owned)
        {
            return;
        }
        state.Status = WorkStatus.Pending;
        state.Attempt = 0;
        state.Holder = null;
        state.Token = null;
        state.Errors = [];
        state.Expirations = 0;
        state.Graced = false;
    }

    private static void Fail(LeaseState state)
    {
        state.Status = WorkStatus.Failed;
        state.Holder = null;
        state.Token = null;
    }
}
