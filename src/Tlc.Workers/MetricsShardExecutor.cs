using System.Collections.Concurrent;
using System.Text.Json;
using Apache.Arrow;
using Tlc.Cluster;
using Tlc.Metrics;
using Tlc.Tables;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Workers;

/// <summary>
/// Computes metrics shards with the job's model and collectors — built from their specs through the model and collector
/// registries (plugins included) and kept per job — using the same <see cref="MetricsRunner"/> as in-process collection,
/// so both produce identical tables. What a job's shards share (model, inference thread, schema, constants) is made once per
/// job. The result chunk streams to its file as batches come (memory stays at a batch).
/// </summary>
public sealed class MetricsShardExecutor : IShardExecutor, IDisposable
{
    private readonly UrlAdapterRegistry _adapters;
    private readonly ModelRegistry _models;
    private readonly CollectorRegistry _collectors;
    private readonly int _decodeThreads;
    private readonly ConcurrentDictionary<string, Lazy<Loaded>> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// What a job's shards share: the model, its inference thread, the collectors, the input table, the output schema and
    /// constants. Counted while shards use it: forgotten (the job left the active list) it is released once the last ends.
    /// </summary>
    private sealed record Loaded(
        IPredictor Predictor,
        IReadOnlyList<IMetricsCollector> Collectors,
        Table Table,
        InferenceThread Inference,
        Apache.Arrow.Schema Schema,
        IReadOnlyDictionary<string, object?>? Constants) : IDisposable
    {
        public int Users { get; set; }

        public bool Forgotten { get; set; }

        public void Dispose()
        {
            Inference.Dispose();
            Predictor.Dispose();
            Table.Dispose();
        }
    }

    /// <summary>Creates the executor.</summary>
    public MetricsShardExecutor(UrlAdapterRegistry adapters, ModelRegistry? models = null, CollectorRegistry? collectors = null, int? decodeThreads = null)
    {
        _adapters = adapters ?? throw new ArgumentNullException(nameof(adapters));
        _models = models ?? ModelRegistry.Default;
        _collectors = collectors ?? CollectorRegistry.Default;
        _decodeThreads = decodeThreads ?? Math.Max(1, Environment.ProcessorCount);
    }

    /// <summary>
    /// The device this worker computes on ("cpu", "cuda:0"): when set, every job's model is built there whatever device its
    /// spec names (in a cluster the machine decides). Default: null, the spec's device.
    /// </summary>
    public string? Device { get; init; }

    /// <inheritdoc />
    public async Task<ShardOutput> ExecuteAsync(ShardTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        var loaded = Acquire(task.Job);
        try
        {
            return await ExecuteAsync(task, loaded, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(loaded);
        }
    }

    /// <summary>The job's loaded model and table, counted as in use (a forgotten job's is loaded again).</summary>
    private Loaded Acquire(MetricsJobSpec job)
    {
        while (true)
        {
            var loaded = _jobs.GetOrAdd(job.JobId, _ => new Lazy<Loaded>(() => Load(job))).Value;
            lock (_gate)
            {
                if (!loaded.Forgotten)
                {
                    loaded.Users++;
                    return loaded;
                }
            }
        }
    }

    private void Release(Loaded loaded)
    {
        lock (_gate)
        {
            if (--loaded.Users > 0 || !loaded.Forgotten)
            {
                return;
            }
        }
        loaded.Dispose();
    }

    private async Task<ShardOutput> ExecuteAsync(ShardTask task, Loaded loaded, CancellationToken cancellationToken)
    {
        var options = new MetricsRunOptions
        {
            BatchSize = task.Job.BatchSize,
            DecodeThreads = _decodeThreads,
            Constants = loaded.Constants,
            ExcludeZeroWeights = task.Job.ExcludeZeroWeights,
            Inference = loaded.Inference,
        };
        var ids = new List<long>(checked((int)(task.Shard.End - task.Shard.Start)));
        var schema = loaded.Schema;
        var batches = Collect(MetricsRunner.RunAsync(loaded.Table, task.Shard.Start, task.Shard.End, loaded.Predictor, loaded.Collectors, options, cancellationToken), ids);
        var chunk = await ChunkFiles.WriteAsync(_adapters, task.ChunkUrl, schema, batches, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ShardOutput(chunk.Rows, chunk.Bytes, [.. chunk.Batches], [.. ids]);
    }

    private static async IAsyncEnumerable<RecordBatch> Collect(IAsyncEnumerable<RecordBatch> batches, List<long> ids)
    {
        await foreach (var batch in batches.ConfigureAwait(false))
        {
            var column = (Int64Array)batch.Column("example_id");
            for (var i = 0; i < column.Length; i++)
            {
                ids.Add(column.GetValue(i)!.Value);
            }
            yield return batch;
        }
    }

    private Loaded Load(MetricsJobSpec job)
    {
        var schema = ArrowSchema(job);
        var constants = Constants(job.ConstantsJson);
        var table = Table.OpenAsync(job.TableUrl, _adapters).GetAwaiter().GetResult();
        if (table.Object.Id != job.TableObjectId)
        {
            throw new InvalidOperationException($"Job {job.JobId}: {job.TableUrl} was overwritten (object {table.Object.Id}, the job names {job.TableObjectId}).");
        }
        var collectors = _collectors.Create(job.Collectors);
        var model = Device is null ? job.Model : job.Model with { Device = Device };
        var predictor = _models.CreatePredictor(model, ModelContext.For(collectors, _adapters));
        return new Loaded(predictor, collectors, table, new InferenceThread($"Tlc inference {job.JobId}"), schema, constants);
    }

    private static Apache.Arrow.Schema ArrowSchema(MetricsJobSpec job) =>
        Tlc.Tables.Arrow.ArrowSchemas.ToArrowSchema(Tlc.Schemas.TableSchema.FromJson(System.Text.Json.Nodes.JsonNode.Parse(job.OutputSchemaJson), $"job {job.JobId} schema"));

    /// <summary>Constants of a job (a JSON object) as .NET values.</summary>
    public static IReadOnlyDictionary<string, object?>? Constants(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)(p.Value.ValueKind switch
        {
            JsonValueKind.Number when p.Value.TryGetInt64(out var l) => l,
            JsonValueKind.Number => p.Value.GetDouble(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String => p.Value.GetString(),
            JsonValueKind.Null => null,
            _ => p.Value.GetRawText(),
        }), StringComparer.Ordinal);
    }

    /// <summary>Releases the models and tables of finished jobs (once the shards running on them end: a job can leave the active list while this worker still works on its last shards).</summary>
    public void Forget(string jobId)
    {
        if (!_jobs.TryRemove(jobId, out var lazy) || !lazy.IsValueCreated)
        {
            return;
        }
        var loaded = lazy.Value;
        lock (_gate)
        {
            loaded.Forgotten = true;
            if (loaded.Users > 0)
            {
                return;
            }
        }
        loaded.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var jobId in _jobs.Keys.ToList())
        {
            Forget(jobId);
        }
    }
}
