using Apache.Arrow;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Schemas;

namespace Tlc;

public sealed partial class Run
{
    /// <summary>
    /// Distributed collect_metrics: submits a job computing <paramref name="collectors"/> of <paramref name="model"/> over
    /// <paramref name="table"/>, waits for the workers (reporting progress) and returns the published metrics table. The
    /// run is <see cref="RunStatus.Collecting"/> meanwhile; aggregates <c>&lt;split&gt;_&lt;column&gt;_avg</c> are logged.
    /// </summary>
    /// <exception cref="JobFailedException">A shard failed too often (the errors name it) or the job was cancelled.</exception>
    /// <exception cref="ClusterUnavailableException">No silo was reached for <c>cluster.reconnect_timeout_seconds</c> (the job is kept).</exception>
    public async Task<Table> CollectMetricsAsync(Table table, ModelSpec model, IReadOnlyList<CollectorSpec> collectors, CollectOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new CollectOptions();
        var previous = (await GetInfoAsync(cancellationToken).ConfigureAwait(false)).Status;
        await SetStatusAsync(RunStatus.Collecting, cancellationToken).ConfigureAwait(false);
        var reached = true;
        try
        {
            var job = await MetricsJob.SubmitAsync(this, table, model, collectors, options, cancellationToken).ConfigureAwait(false);
            var metrics = await job.WaitAsync(options.Progress, options.ProgressInterval, cancellationToken).ConfigureAwait(false);
            await LogAggregatesAsync(metrics, options, cancellationToken).ConfigureAwait(false);
            return metrics;
        }
        catch (ClusterUnavailableException)
        {
            // No silo to set the status with: the error says so, and the run reads as interrupted once its heartbeats stop.
            reached = false;
            throw;
        }
        finally
        {
            if (reached)
            {
                await SetStatusAsync(previous is RunStatus.Empty ? RunStatus.Running : previous, CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// In-process collect_metrics with a live predictor and collectors (which cannot cross machines): the same batch loop
    /// as the workers' (<see cref="MetricsRunner"/>), written through the sink, so for the same model, rows and batch size the
    /// metrics table equals the distributed one.
    /// </summary>
    public async Task<Table> CollectMetricsAsync(Table table, IPredictor predictor, IReadOnlyList<IMetricsCollector> collectors, CollectOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(collectors);
        options ??= new CollectOptions();
        var previous = (await GetInfoAsync(cancellationToken).ConfigureAwait(false)).Status;
        await SetStatusAsync(RunStatus.Collecting, cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = MetricsRunner.OutputSchema(table.Schema, collectors, options.Constants);
            var stream = options.StreamName ?? options.Split ?? "metrics";
            await using var writer = await MetricsTableWriter.CreateWithSchemaAsync(this, table, schema, stream, options.Constants,
                new MetricsWriterOptions { RequireFullCoverage = !options.ExcludeZeroWeights }, cancellationToken).ConfigureAwait(false);
            var run = new MetricsRunOptions
            {
                BatchSize = options.BatchSize,
                DecodeThreads = options.DecodeThreads,
                Constants = options.Constants,
                ExcludeZeroWeights = options.ExcludeZeroWeights,
            };
            await foreach (var batch in MetricsRunner.RunAsync(table, 0, table.RowCount, predictor, collectors, run, cancellationToken).ConfigureAwait(false))
            {
                await writer.AddRecordBatchAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            var metrics = await writer.PublishAsync(cancellationToken).ConfigureAwait(false);
            await LogAggregatesAsync(metrics, options, cancellationToken).ConfigureAwait(false);
            return metrics;
        }
        finally
        {
            await SetStatusAsync(previous is RunStatus.Empty ? RunStatus.Running : previous, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Logs the mean of each numeric metrics column as <c>&lt;split&gt;_&lt;column&gt;_avg</c> (with the epoch/iteration constant as the axis).</summary>
    private async Task LogAggregatesAsync(Table metrics, CollectOptions options, CancellationToken cancellationToken)
    {
        if (!options.CollectAggregates)
        {
            return;
        }
        var constants = options.Constants ?? new Dictionary<string, object?>();
        var columns = metrics.Schema
            .Where(kv => kv.Key != "example_id" && !constants.ContainsKey(kv.Key)
                && kv.Value is ScalarSchema { Kind: var kind, ValueMap: null } && kind.IsNumeric() && kv.Value is not ExampleIdSchema)
            .Select(kv => kv.Key).ToList();
        if (columns.Count == 0)
        {
            return;
        }
        var sums = new double[columns.Count];
        var counts = new long[columns.Count];
        foreach (var batch in metrics.ScanBatches(cancellationToken))
        {
            for (var c = 0; c < columns.Count; c++)
            {
                var array = batch.Column(columns[c]);
                for (var i = 0; i < array.Length; i++)
                {
                    if (!array.IsNull(i))
                    {
                        sums[c] += Convert.ToDouble(Tables.Arrow.ArrowValues.GetValue(array, i), System.Globalization.CultureInfo.InvariantCulture);
                        counts[c]++;
                    }
                }
            }
        }
        var prefix = options.Split is { } split ? $"{split}_" : "";
        var values = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var axis in new[] { "epoch", "iteration" })
        {
            if (constants.TryGetValue(axis, out var value) && value is not null)
            {
                values[axis] = value;
            }
        }
        for (var c = 0; c < columns.Count; c++)
        {
            if (counts[c] > 0)
            {
                values[$"{prefix}{columns[c]}_avg"] = sums[c] / counts[c];
            }
        }
        await LogAsync(values, cancellationToken).ConfigureAwait(false);
    }
}
