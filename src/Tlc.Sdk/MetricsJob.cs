using System.Text.Json;
using Tlc.Cluster;
using Tlc.Metrics;

namespace Tlc;

/// <summary>
/// Distributed collect_metrics jobs (<see cref="JobKinds.Metrics"/>): what the client does before submitting one — checks
/// the specs it can (collector names and arguments, the model's file), fixes the input revision, plans the shards — then
/// hands it to the one job handle (<see cref="JobHandle"/>).
/// </summary>
public static class MetricsJob
{
    /// <summary>Submits a job computing <paramref name="collectors"/> of <paramref name="model"/> over <paramref name="table"/> into a metrics table of <paramref name="run"/>.</summary>
    /// <exception cref="MetricsSpecException">A collector is unknown or has bad arguments, or the model's file does not exist: nothing was submitted.</exception>
    public static async Task<JobHandle> SubmitAsync(Run run, Table table, ModelSpec model, IReadOnlyList<CollectorSpec> collectors, CollectOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(collectors);
        options ??= new CollectOptions();
        if (options.ShardRows < 1 || options.BatchSize < 1 || options.ShardRows % options.BatchSize != 0)
        {
            throw new ArgumentException($"ShardRows ({options.ShardRows}) must be a positive multiple of BatchSize ({options.BatchSize}) so every batch is the same as in-process.", nameof(options));
        }
        // Building the collectors here checks the specs (unknown names, bad arguments) before anything is submitted.
        var built = CollectorRegistry.Default.Create(collectors);
        await CheckModelFileAsync(run.Context, model, cancellationToken).ConfigureAwait(false);
        var schema = MetricsRunner.OutputSchema(table.Schema, built, options.Constants);
        var jobId = options.JobId ?? Guid.NewGuid().ToString("N");
        var stream = Names.Validate(options.StreamName ?? options.Split ?? "metrics", "stream");
        var spec = new MetricsJobSpec
        {
            JobId = jobId,
            Items = MetricsJobSpec.ShardCount(table.RowCount, options.ShardRows),
            Rows = table.RowCount,
            TableUrl = table.Url.Value,
            TableObjectId = table.Object.Id,
            TableRows = table.RowCount,
            Model = model,
            Collectors = [.. collectors],
            ConstantsJson = options.Constants is { Count: > 0 } c ? JsonSerializer.Serialize(c) : null,
            ExcludeZeroWeights = options.ExcludeZeroWeights,
            RequireFullCoverage = !options.ExcludeZeroWeights,
            BatchSize = options.BatchSize,
            ShardRows = options.ShardRows,
            RunKey = run.Key,
            MetricsTableUrl = run.Url.Join($"metrics/{stream}-{jobId[..Math.Min(8, jobId.Length)]}").Value,
            StreamName = stream,
            OutputSchemaJson = schema.ToJson().ToJsonString(),
            MaxAttempts = options.MaxAttempts,
            LeaseDuration = options.LeaseDuration,
            Submitted = run.Context.Time.GetUtcNow(),
            Split = options.Split,
        };
        PartPlan[]? plans = null;
        if (options.ExcludeZeroWeights)
        {
            plans = ShardPlanner.Plan(table, options.ShardRows, excludeZeroWeights: true, cancellationToken);
            spec = spec with { Rows = plans.Sum(p => p.ExpectedRows) };
        }
        await run.AddInputAsync(table, cancellationToken).ConfigureAwait(false);
        return await JobHandle.SubmitAsync(run.Context, spec, plans, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The model's file (ONNX, TorchScript, weights) must exist where every worker will read it: checked once here rather than failing each shard.</summary>
    private static async Task CheckModelFileAsync(ClusterContext context, ModelSpec model, CancellationToken cancellationToken)
    {
        if (model.WeightsUrl is not { Length: > 0 } weights)
        {
            return;
        }
        Url url;
        try
        {
            url = new Url(weights);
        }
        catch (ArgumentException e)
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(model)}: bad weights URL '{weights}': {e.Message}", e);
        }
        if (!await context.Adapters.ExistsAsync(url, cancellationToken).ConfigureAwait(false))
        {
            throw new MetricsSpecException($"Model spec {ModelRegistry.Describe(model)}: the file {url} does not exist; nothing was submitted.");
        }
    }
}
