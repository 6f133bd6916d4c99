namespace Tlc.Cluster;

/// <summary>
/// What a job is, common to every kind (<see cref="JobKinds"/>): its id, its items and how they are leased. A kind's spec
/// derives from it and adds what its workers and its publication need. Small: it never holds rows, nor the items' plans
/// (those live with the items, and travel with each item's lease).
/// </summary>
[GenerateSerializer]
public abstract record JobSpec
{
    /// <summary>The default <see cref="ItemsPerSegment"/>: 1,024.</summary>
    public const int DefaultItemsPerSegment = 1024;

    /// <summary>The job id; submitting the same id again is the same job.</summary>
    [Id(0)] public required string JobId { get; init; }

    /// <summary>Planned items (0 for a job whose items its writers add). Default: 0.</summary>
    [Id(1)] public int Items { get; init; }

    /// <summary>Attempts per item before the job fails. Default: 3.</summary>
    [Id(2)] public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a lease lasts without renewal. Default: 30 s.</summary>
    [Id(3)] public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>When it was submitted.</summary>
    [Id(4)] public DateTimeOffset Submitted { get; init; }

    /// <summary>Items per segment grain (the bound on any one grain's item state). Default: <see cref="DefaultItemsPerSegment"/>.</summary>
    [Id(5)] public int ItemsPerSegment { get; init; } = DefaultItemsPerSegment;

    /// <summary>Rows the result will have, when known at submission (0 when not). Default: 0.</summary>
    [Id(6)] public long Rows { get; init; }

    /// <summary>Source bytes the items cover, when the kind reads a source (0 otherwise). Default: 0.</summary>
    [Id(7)] public long Bytes { get; init; }

    /// <summary>
    /// Writers expected by a job whose writers add its items (e.g. the ranks of a distributed training run, one writer
    /// each): writer <c>w</c> opens its share with <see cref="IJobGrain.OpenWriterAsync"/> (a later attempt replaces an
    /// unfinished earlier one) and closes it once; the job publishes by itself when every writer closed. 0: one owning
    /// writer publishes when it chooses (<see cref="IJobGrain.PublishAsync"/>). Default: 0.
    /// </summary>
    [Id(8)] public int Writers { get; init; }

    /// <summary>The most <see cref="Writers"/> a job has: 65,536.</summary>
    public const int MaxWriters = 65_536;

    /// <summary>What one of <see cref="Writers"/> is called ("writer", "rank").</summary>
    public virtual string WriterNoun => "writer";

    /// <summary>The kind (<see cref="JobKinds"/>): which code validates, publishes and computes its items.</summary>
    public abstract string Kind { get; }

    /// <summary>What one item is called in progress and errors ("shard", "chunk", "part").</summary>
    public virtual string ItemNoun => "item";

    /// <summary>True when workers lease the items; false when writers add and own them (a training rank's stream).</summary>
    public virtual bool Leased => true;

    /// <summary>True when the client sends each item's plan; false when <see cref="ImpliedPlan"/> derives it from the spec.</summary>
    public virtual bool ExplicitPlans => true;

    /// <summary>The run the job writes into ("project/run"), if any.</summary>
    public virtual string? Run => null;

    /// <summary>One line saying what the job does (for listings).</summary>
    public virtual string Describe() => $"{Kind} job";

    /// <summary>The plan of item <paramref name="item"/> when the spec implies it (see <see cref="ExplicitPlans"/>), else null.</summary>
    public virtual WorkItemPlan? ImpliedPlan(int item) => null;

    /// <summary>The number of segments of <paramref name="items"/> items.</summary>
    public int SegmentsFor(int items) => (int)(((long)items + ItemsPerSegment - 1) / ItemsPerSegment);

    /// <summary>Checks what every kind requires; throws naming the field.</summary>
    public virtual void Validate()
    {
        Names.Validate(JobId, "job id");
        if (Items < 0 || (Leased && Items == 0))
        {
            throw new ArgumentException($"Job {JobId}: {(Leased ? "a job of leased items needs at least one" : "items must not be negative")} ({Items}).");
        }
        if (MaxAttempts < 1)
        {
            throw new ArgumentException($"Job {JobId}: MaxAttempts must be at least 1 ({MaxAttempts}).");
        }
        if (LeaseDuration <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Job {JobId}: LeaseDuration must be positive ({LeaseDuration}).");
        }
        if (Writers < 0 || Writers > MaxWriters || (Writers > 0 && Leased))
        {
            throw new ArgumentException($"Job {JobId}: Writers must be 0..{MaxWriters}, and 0 for a job of leased items ({Writers}).");
        }
        if (ItemsPerSegment is < 1 or > 10_000)
        {
            throw new ArgumentException($"Job {JobId}: ItemsPerSegment must be 1..10,000 ({ItemsPerSegment}).");
        }
    }
}

/// <summary>
/// One item's plan (a metrics shard's row range, an import chunk's source range): what a worker must produce for it.
/// Kinds derive from it.
/// </summary>
/// <param name="Index">The item's index in its job.</param>
[GenerateSerializer, Immutable]
public abstract record WorkItemPlan([property: Id(0)] int Index)
{
    /// <summary>Source bytes the item covers (for progress; 0 when it reads none).</summary>
    public virtual long SourceBytes => 0;
}

/// <summary>
/// A committed (or to-be-committed) result of one item, as its worker or writer reports it: which attempt made it, what
/// it produced (rows, files), and under what operation id (a retried commit carries the same id and has one effect).
/// Kinds derive from it with what their publication needs. Small: files hold the rows.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public abstract record ItemCommit
{
    /// <summary>The item's index in its job.</summary>
    [Id(0)] public required int Item { get; init; }

    /// <summary>Unique per result: a retried commit carries the same id.</summary>
    [Id(1)] public required string OperationId { get; init; }

    /// <summary>The lease attempt that produced it (1 for an item owned by its writer).</summary>
    [Id(2)] public int Attempt { get; init; }

    /// <summary>The lease token (null for an item owned by its writer).</summary>
    [Id(3)] public string? Token { get; init; }

    /// <summary>Rows the result holds.</summary>
    [Id(4)] public long Rows { get; init; }

    /// <summary>
    /// A problem the result itself reports (e.g. an import chunk's first bad row under the fail policy, naming file and
    /// line): the item is done, and the job decides at publication (it fails, naming every such problem).
    /// </summary>
    [Id(5)] public string? Error { get; init; }
}

/// <summary>The answer to a commit: the outcome and, when rejected, why.</summary>
/// <param name="Outcome">What became of it.</param>
/// <param name="Reason">Why it was rejected.</param>
[GenerateSerializer, Immutable]
public sealed record CommitResult([property: Id(0)] CommitOutcome Outcome, [property: Id(1)] string? Reason = null);

/// <summary>An item's state as its segment reports it.</summary>
/// <param name="Index">The item's index in its job.</param>
/// <param name="Lease">Its lease state.</param>
/// <param name="Commit">The accepted commit, once there is one.</param>
[GenerateSerializer, Immutable]
public sealed record ItemInfo([property: Id(0)] int Index, [property: Id(1)] LeaseState Lease, [property: Id(2)] ItemCommit? Commit);

/// <summary>A job as the work queue lists it: its id and its kind.</summary>
/// <param name="Id">The job id.</param>
/// <param name="Kind">Its kind (<see cref="JobKinds"/>).</param>
[GenerateSerializer, Immutable]
public sealed record JobRef([property: Id(0)] string Id, [property: Id(1)] string Kind);
