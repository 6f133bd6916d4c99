using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Metrics;

namespace Tlc.Workers;

/// <summary>
/// Workers running inside this process (the embedded default's convenience, the demo, tests): each a <see cref="WorkerHost"/>
/// with its own metrics executor and identity, sharing the process's cluster connection. Disposing stops them (they finish
/// or drop their current shards; dropped ones are leased again elsewhere).
/// </summary>
public sealed class InProcessWorkers : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(WorkerHost Host, Task Run, MetricsShardExecutor Executor)> _workers = [];

    private InProcessWorkers()
    {
    }

    /// <summary>The workers.</summary>
    public IReadOnlyList<WorkerHost> Hosts => _workers.Select(w => w.Host).ToList();

    /// <summary>Starts <paramref name="count"/> workers over <paramref name="context"/>.</summary>
    public static InProcessWorkers Start(ClusterContext context, int count, WorkerOptions? options = null, ILogger? logger = null,
        ModelRegistry? models = null, CollectorRegistry? collectors = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var workers = new InProcessWorkers();
        var decodeThreads = Math.Max(1, Environment.ProcessorCount / count);
        for (var i = 0; i < count; i++)
        {
            var identity = new WorkerRef($"{context.Identity.Id}-w{i + 1}", Guid.NewGuid().ToString("N")[..12]);
            var workerContext = context with { Identity = identity };
            var executor = new MetricsShardExecutor(context.Adapters, models, collectors, decodeThreads);
            var host = new WorkerHost(workerContext, executor, new WorkerOptions
            {
                WorkerId = identity.Id,
                PollInterval = options?.PollInterval ?? TimeSpan.FromMilliseconds(250),
                HeartbeatInterval = options?.HeartbeatInterval ?? TimeSpan.FromSeconds(5),
                MaxConcurrentShards = options?.MaxConcurrentShards ?? WorkerOptions.DefaultConcurrentShards,
                Device = options?.Device ?? "cpu",
                ConversionThreads = decodeThreads,
                ImportChunksAtOnce = options?.ImportChunksAtOnce ?? 1,
            }, logger);
            workers._workers.Add((host, host.RunAsync(workers._stop.Token), executor));
        }
        return workers;
    }

    /// <summary>Stops the workers.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var (_, run, executor) in _workers)
        {
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            executor.Dispose();
        }
        _stop.Dispose();
    }
}
