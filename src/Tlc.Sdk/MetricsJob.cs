using System.Text.Json;
using Tlc.Cluster;
using Tlc.Metrics;

namespace Tlc;

/// <summary>
/// A distributed metrics collection job as a client sees it: progress, waiting, cancel, retry. Jobs outlive clients:
/// <see cref="AttachAsync"/> finds one again by id after a restart.
/// </summary>
public sealed class MetricsJob
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(10);
    private readonly ClusterContext _context;

    private MetricsJob(ClusterContext context, string id)
    {
        _context = context;
        Id = id;
    }

    /// <summary>The job id.</summary>
    public string Id { get; }

    private IMetricsJobGrain Grain => _context.Client.GetGrain<IMetricsJobGrain>(Id);

    /// <summary>Submits a job computing <paramref name="collectors"/> of <paramref name="model"/> over <paramref name="table"/> into a metrics table of <paramref name="run"/>.</summary>
    public static async Task<MetricsJob> SubmitAsync(Run run, Table table, ModelSpec model, IReadOnlyList<CollectorSpec> collectors, CollectOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(collectors);
        options ??= new CollectOptions();
        if (options.ShardRows % options.BatchSize != 0)
        {
            throw new ArgumentException($"ShardRows ({options.ShardRows}) must be a multiple of BatchSize ({options.BatchSize}) so every batch is the same as in-process.", nameof(options));
        }
        // Building the collectors here checks the specs (unknown names, bad arguments) before anything is submitted.
        var built = CollectorRegistry.Default.Create(collectors);
        var schema = MetricsRunner.OutputSchema(table.Schema, built, options.Constants);
        var jobId = options.JobId ?? Guid.NewGuid().ToString("N");
        var stream = Names.Validate(options.StreamName ?? options.Split ?? "metrics", "stream");
        var spec = new MetricsJobSpec
        {
            JobId = jobId,
            TableUrl = table.Url.Value,
            TableObjectId = table.Object.Id,
            TableRows = table.RowCount,
            Model = model,
            Collectors = [.. collectors],
            ConstantsJson = options.Constants is { Count: > 0 } c ? JsonSerializer.Serialize(c) : null,
            ExcludeZeroWeights = options.ExcludeZeroWeights,
            BatchSize = options.BatchSize,
            RunKey = run.Key,
            MetricsTableUrl = run.Url.Join($"metrics/{stream}-{jobId[..8]}").Value,
            StreamName = stream,
            OutputSchemaJson = schema.ToJson().ToJsonString(),
            Shards = ShardPlanner.Plan(table, options.ShardRows, options.ExcludeZeroWeights, cancellationToken),
            MaxAttempts = options.MaxAttempts,
            LeaseDuration = options.LeaseDuration,
            Submitted = run.Context.Time.GetUtcNow(),
            Split = options.Split,
        };
        await run.AddInputAsync(table, cancellationToken).ConfigureAwait(false);
        var job = new MetricsJob(run.Context, jobId);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await job.Grain.SubmitAsync(spec).WaitAsync(cancellationToken).ConfigureAwait(false);
                return job;
            }
            catch (TimeoutException) when (attempt < 3)
            {
                // Submission is idempotent by job id.
            }
        }
    }

    /// <summary>The job <paramref name="jobId"/> (submitted by any client).</summary>
    public static async Task<MetricsJob> AttachAsync(ClusterContext context, string jobId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var job = new MetricsJob(context, jobId);
        if (await job.Grain.GetSpecAsync().WaitAsync(cancellationToken).ConfigureAwait(false) is null)
        {
            throw new KeyNotFoundException($"No metrics job '{jobId}'.");
        }
        return job;
    }

    /// <summary>The progress of every job submitted (newest first).</summary>
    public static async Task<IReadOnlyList<JobProgress>> ListAsync(ClusterContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var ids = await context.Client.GetGrain<IJobQueueGrain>("default").GetAllAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await Task.WhenAll(ids.Select(id => context.Client.GetGrain<IMetricsJobGrain>(id).GetProgressAsync())).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The job's progress.</summary>
    public Task<JobProgress> GetProgressAsync(CancellationToken cancellationToken = default) => Grain.GetProgressAsync().WaitAsync(cancellationToken);

    /// <summary>The job's spec.</summary>
    public async Task<MetricsJobSpec> GetSpecAsync(CancellationToken cancellationToken = default) =>
        await Grain.GetSpecAsync().WaitAsync(cancellationToken).ConfigureAwait(false) ?? throw new KeyNotFoundException($"No metrics job '{Id}'.");

    /// <summary>Cancels the job: nothing is published.</summary>
    public Task<JobProgress> CancelAsync(CancellationToken cancellationToken = default) => Grain.CancelAsync().WaitAsync(cancellationToken);

    /// <summary>Retries a failed job: its failed shards run again.</summary>
    public Task<JobProgress> RetryAsync(CancellationToken cancellationToken = default) => Grain.RetryAsync().WaitAsync(cancellationToken);

    /// <summary>
    /// Waits for the job to end, reporting progress; returns the metrics table. Cancelling the token stops waiting (the job
    /// goes on; cancel it with <see cref="CancelAsync"/>).
    /// </summary>
    /// <exception cref="MetricsJobFailedException">The job failed or was cancelled.</exception>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public async Task<Table> WaitAsync(IProgress<JobProgress>? progress = null, TimeSpan? interval = null, CancellationToken cancellationToken = default)
    {
        var every = interval is { } i && i > MinimumInterval ? i : interval is null ? TimeSpan.FromMilliseconds(250) : MinimumInterval;
        var current = await JobWaiting.UntilEndAsync(Grain.WaitForEndAsync, p => p.Status, progress, every, _context.Reachability, cancellationToken).ConfigureAwait(false);
        return current.Status == JobStatus.Completed
            ? await Table.OpenAsync(current.MetricsTableUrl!, _context.Adapters, cancellationToken).ConfigureAwait(false)
            : throw new MetricsJobFailedException(current);
    }
}
