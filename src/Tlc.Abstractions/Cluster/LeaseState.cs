namespace Tlc.Cluster;

/// <summary>Where one work item (a metrics shard, an import chunk, a rank's stream) is in its life.</summary>
public enum WorkStatus
{
    /// <summary>Waiting for a worker.</summary>
    Pending,
    /// <summary>Held by a worker until the lease deadline.</summary>
    Leased,
    /// <summary>Its result is committed; nothing more happens to it.</summary>
    Committed,
    /// <summary>It failed too often (or for good); the job fails with its errors.</summary>
    Failed,
    /// <summary>Held by the writer that created it (a rank's stream part): it is never leased and never expires.</summary>
    Owned,
}

/// <summary>
/// The durable state of one work item under the lease/commit protocol (<see cref="LeaseProtocol"/>). Small and
/// independent of the item's size: it never holds rows.
/// </summary>
[GenerateSerializer, SuppressReferenceTracking]
public sealed class LeaseState
{
    /// <summary>Where the item is.</summary>
    [Id(0)] public WorkStatus Status { get; set; } = WorkStatus.Pending;

    /// <summary>How many leases were granted (the current lease's attempt number; 0 before the first).</summary>
    [Id(1)] public int Attempt { get; set; }

    /// <summary>The holder of the current lease.</summary>
    [Id(2)] public WorkerRef? Holder { get; set; }

    /// <summary>The token of the current lease: renewals and failures must present it.</summary>
    [Id(3)] public string? Token { get; set; }

    /// <summary>When the current lease expires.</summary>
    [Id(4)] public DateTimeOffset Deadline { get; set; }

    /// <summary>The operation id of the commit that was accepted.</summary>
    [Id(5)] public string? CommittedOperation { get; set; }

    /// <summary>The attempt whose result was committed.</summary>
    [Id(6)] public int CommittedAttempt { get; set; }

    /// <summary>
    /// Failures reported so far (one per failed attempt), most recent last. Replaced, never changed in place, so copies
    /// share it (most items never fail: they all share the one empty array).
    /// </summary>
    [Id(7)] public string[] Errors { get; set; } = [];

    /// <summary>Leases that expired without a commit or a failure report.</summary>
    [Id(8)] public int Expirations { get; set; }

    /// <summary>
    /// The deadline was pushed back by a restarted segment (a grace for a holder whose renewals failed while the segment
    /// had no silo), with no renewal since: a later restart does not push it back again, so a dead holder's lease runs out
    /// even while silos keep failing.
    /// </summary>
    [Id(9)] public bool Graced { get; set; }

    /// <summary>For an item owned by a writer (<see cref="WorkStatus.Owned"/>): the owner's number for the part (from 0).</summary>
    [Id(10)] public int Part { get; set; }
}

/// <summary>A granted lease: what a worker presents to renew, commit or fail the item.</summary>
/// <param name="Item">The work item's index in its job.</param>
/// <param name="Attempt">The attempt number (1 for the first lease).</param>
/// <param name="Token">The lease token.</param>
/// <param name="Deadline">When the lease expires unless renewed.</param>
[GenerateSerializer, Immutable]
public sealed record LeaseGrant([property: Id(0)] int Item, [property: Id(1)] int Attempt, [property: Id(2)] string Token, [property: Id(3)] DateTimeOffset Deadline)
{
    /// <summary>What the item is (its row range, its source chunk), sent with its lease so no worker needs the whole plan; null where the job's spec implies it.</summary>
    [Id(4)] public WorkItemPlan? Plan { get; init; }
}

/// <summary>What became of a commit.</summary>
public enum CommitOutcome
{
    /// <summary>This commit is the item's result.</summary>
    Accepted,
    /// <summary>The same operation was committed before: no new effect (a retry after a timeout).</summary>
    Duplicate,
    /// <summary>Another operation's result was committed first: this one is ignored.</summary>
    Superseded,
    /// <summary>The result is not valid (e.g. wrong example ids): not committed.</summary>
    Rejected,
}

/// <summary>What became of a renewal.</summary>
public enum RenewOutcome
{
    /// <summary>The lease is extended.</summary>
    Renewed,
    /// <summary>The lease expired or went to another worker: stop working on the item (a commit may still be accepted if none came first).</summary>
    Lost,
    /// <summary>The item is committed already: stop working on it.</summary>
    Committed,
}
