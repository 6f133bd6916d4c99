using Tlc.Cluster;

namespace Tlc;

/// <summary>
/// A job of any kind as a client sees it, written once: submit (sending a large plan one segment at a time), attach by id
/// or unique prefix, list, progress, wait, cancel, retry. Jobs outlive clients: a client that restarts attaches again,
/// and submitting the same job id again is the same job.
/// </summary>
public sealed class JobHandle
{
    private readonly ClusterContext _context;

    private JobHandle(ClusterContext context, string id)
    {
        _context = context;
        Id = id;
    }

    /// <summary>The job id.</summary>
    public string Id { get; }

    private IJobGrain Grain => _context.Client.GetGrain<IJobGrain>(Id);

    /// <summary>
    /// Submits <paramref name="spec"/> with its items' <paramref name="plans"/> (null when the spec implies them, or when its
    /// writers add the items): idempotent by job id, so a call retried after a timeout is the same job.
    /// </summary>
    public static async Task<JobHandle> SubmitAsync(ClusterContext context, JobSpec spec, IReadOnlyList<WorkItemPlan>? plans = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        if (spec.ExplicitPlans && spec.Leased && (plans is null || plans.Count != spec.Items))
        {
            throw new ArgumentException($"Job {spec.JobId} needs the plans of its {spec.Items} {spec.ItemNoun}s ({plans?.Count ?? 0} given).", nameof(plans));
        }
        var job = new JobHandle(context, spec.JobId);
        var progress = await ClusterCalls.RetryAsync(() => job.Grain.SubmitAsync(spec), context.Reachability, cancellationToken).ConfigureAwait(false);
        if (progress.Status == JobStatus.Planning)
        {
            for (var first = 0; first < spec.Items; first += spec.ItemsPerSegment)
            {
                var segment = plans!.Skip(first).Take(spec.ItemsPerSegment).ToArray();
                await ClusterCalls.RetryAsync(() => job.Grain.AddPlansAsync(segment), context.Reachability, cancellationToken).ConfigureAwait(false);
            }
        }
        return job;
    }

    /// <summary>The job <paramref name="jobId"/> (submitted by any client).</summary>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    public static async Task<JobHandle> AttachAsync(ClusterContext context, string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var job = new JobHandle(context, jobId);
        if (await job.Grain.GetSpecAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new KeyNotFoundException($"No job '{jobId}'.");
        }
        return job;
    }

    /// <summary>
    /// The job whose id is <paramref name="idOrPrefix"/> or starts with it, among the newest jobs (of <paramref name="kind"/>
    /// when given).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No job has such an id.</exception>
    /// <exception cref="AmbiguousJobIdException">Several do.</exception>
    public static async Task<JobHandle> FindAsync(ClusterContext context, string idOrPrefix, string? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(idOrPrefix);
        var all = (await Queue(context).GetAllAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Where(j => kind is null || j.Kind == kind).ToList();
        var matches = all.Any(j => j.Id == idOrPrefix) ? [idOrPrefix] : all.Where(j => j.Id.StartsWith(idOrPrefix, StringComparison.OrdinalIgnoreCase)).Select(j => j.Id).ToList();
        return matches.Count switch
        {
            1 => await AttachAsync(context, matches[0], cancellationToken).ConfigureAwait(false),
            0 => throw new KeyNotFoundException($"No {(kind is null ? "" : kind + " ")}job '{idOrPrefix}' (list them with: tlc jobs)."),
            _ => throw new AmbiguousJobIdException(idOrPrefix, matches),
        };
    }

    /// <summary>The progress of the newest jobs (of <paramref name="kind"/> when given), newest first.</summary>
    public static async Task<IReadOnlyList<JobProgress>> ListAsync(ClusterContext context, string? kind = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var jobs = (await Queue(context).GetAllAsync().WaitAsync(cancellationToken).ConfigureAwait(false)).Where(j => kind is null || j.Kind == kind).ToList();
        return await Task.WhenAll(jobs.Select(j => context.Client.GetGrain<IJobGrain>(j.Id).GetProgressAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The job's progress.</summary>
    public Task<JobProgress> GetProgressAsync(CancellationToken cancellationToken = default) =>
        ClusterCalls.RetryAsync(Grain.GetProgressAsync, _context.Reachability, cancellationToken);

    /// <summary>
    /// The job's history of attempts that did not end in a commit, item by item: leases that expired (the worker that held
    /// it, when it ran out and when it was taken back) and failures reported; at most <paramref name="max"/> entries.
    /// </summary>
    public Task<string[]> GetHistoryAsync(int max = HistoryLimit, CancellationToken cancellationToken = default) =>
        ClusterCalls.RetryAsync(() => Grain.GetHistoryAsync(max), _context.Reachability, cancellationToken);

    /// <summary>The most history entries <see cref="GetHistoryAsync"/> returns by default.</summary>
    public const int HistoryLimit = 1000;

    /// <summary>The job's spec.</summary>
    public async Task<JobSpec> GetSpecAsync(CancellationToken cancellationToken = default) =>
        await ClusterCalls.RetryAsync(Grain.GetSpecAsync, _context.Reachability, cancellationToken).ConfigureAwait(false) ?? throw new KeyNotFoundException($"No job '{Id}'.");

    /// <summary>Cancels the job: nothing is published, and what its items staged is deleted.</summary>
    public Task<JobProgress> CancelAsync(CancellationToken cancellationToken = default) => Grain.CancelAsync().WaitAsync(cancellationToken);

    /// <summary>Retries a failed job: items whose attempts ran out run again; committed ones are kept.</summary>
    public Task<JobProgress> RetryAsync(CancellationToken cancellationToken = default) => Grain.RetryAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Waits for the job to end, reporting progress every <paramref name="interval"/> (default 250 ms); returns its final
    /// progress, whatever the end. Cancelling the token stops waiting (the job goes on; cancel it with <see cref="CancelAsync"/>).
    /// </summary>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public Task<JobProgress> WaitForEndAsync(IProgress<JobProgress>? progress = null, TimeSpan? interval = null, CancellationToken cancellationToken = default) =>
        JobWaiting.UntilEndAsync(Grain.WaitForEndAsync, p => p.Status, progress, Every(interval), _context.Reachability, cancellationToken);

    /// <summary>Waits for the job to end (see <see cref="WaitForEndAsync"/>) and returns the table it published.</summary>
    /// <exception cref="JobFailedException">The job failed or was cancelled.</exception>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public async Task<Table> WaitAsync(IProgress<JobProgress>? progress = null, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var final = await WaitForEndAsync(progress, interval, cancellationToken).ConfigureAwait(false);
        return final.Status == JobStatus.Completed && final.ResultUrl is { } url
            ? await Table.OpenAsync(url, _context.Adapters, cancellationToken).ConfigureAwait(false)
            : throw new JobFailedException(final);
    }

    private static TimeSpan Every(TimeSpan? interval) =>
        interval is { } i ? (i < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : i) : TimeSpan.FromMilliseconds(250);

    private static IJobQueueGrain Queue(ClusterContext context) => context.Client.GetGrain<IJobQueueGrain>(JobKeys.Queue);
}

/// <summary>A job id prefix that starts several job ids.</summary>
/// <param name="prefix">The prefix.</param>
/// <param name="matches">The ids it starts.</param>
public sealed class AmbiguousJobIdException(string prefix, IReadOnlyList<string> matches)
    : ArgumentException($"'{prefix}' is the start of {matches.Count} job ids ({string.Join(", ", matches.Take(3))}{(matches.Count > 3 ? ", …" : "")}): give more of it.")
{
    /// <summary>The ids the prefix starts.</summary>
    public IReadOnlyList<string> Matches { get; } = matches;
}
