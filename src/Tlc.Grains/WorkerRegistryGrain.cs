using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>
/// The workers seen recently. Liveness is by heartbeat and kept in memory: after a restart, workers re-register with
/// their next heartbeat (a worker's leases, not this list, decide who owns work). Drain requests are kept the same way.
/// </summary>
internal sealed class WorkerRegistryGrain(TimeProvider time) : Grain, IWorkerRegistryGrain
{
    private readonly Dictionary<string, WorkerInfo> _workers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _draining = new(StringComparer.Ordinal);

    public Task<bool> HeartbeatAsync(WorkerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var draining = _draining.Contains(info.Worker.Id) || info.Draining;
        _workers[info.Worker.Id] = info with { LastSeen = time.GetUtcNow(), Draining = draining };
        return Task.FromResult(!draining);
    }

    public Task DrainAsync(string workerId)
    {
        _draining.Add(workerId);
        if (_workers.TryGetValue(workerId, out var info))
        {
            _workers[workerId] = info with { Draining = true };
        }
        return Task.CompletedTask;
    }

    public Task UnregisterAsync(WorkerRef worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        if (_workers.TryGetValue(worker.Id, out var info) && info.Worker == worker)
        {
            _workers.Remove(worker.Id);
            _draining.Remove(worker.Id);
        }
        return Task.CompletedTask;
    }

    public Task<WorkerInfo[]> ListAsync(TimeSpan within)
    {
        var since = time.GetUtcNow() - within;
        return Task.FromResult(_workers.Values.Where(w => w.LastSeen >= since).OrderBy(w => w.Worker.Id, StringComparer.Ordinal).ToArray());
    }
}
