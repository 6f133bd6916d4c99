namespace Tlc.Cluster;

/// <summary>
/// Who holds a lease: a worker (or writer) id plus the incarnation of its process, so a restarted worker with the same
/// id is told apart from its dead predecessor.
/// </summary>
/// <param name="Id">The worker id (stable across restarts, e.g. "host-gpu0").</param>
/// <param name="Incarnation">A new value every time the process starts.</param>
[GenerateSerializer, Immutable]
public sealed record WorkerRef([property: Id(0)] string Id, [property: Id(1)] string Incarnation)
{
    /// <inheritdoc />
    public override string ToString() => $"{Id}#{Incarnation}";
}

/// <summary>A worker's registration: what it can do and that it is alive.</summary>
/// <param name="Worker">The worker.</param>
/// <param name="Host">Its machine.</param>
/// <param name="Device">"cpu" or "cuda:N".</param>
/// <param name="LoadedModels">Model specs it has loaded (names), so jobs can prefer warm workers.</param>
/// <param name="Draining">True when it is shutting down: it takes no new leases.</param>
/// <param name="LastSeen">When it last reported.</param>
[GenerateSerializer, Immutable]
public sealed record WorkerInfo(
    [property: Id(0)] WorkerRef Worker,
    [property: Id(1)] string Host,
    [property: Id(2)] string Device,
    [property: Id(3)] string[] LoadedModels,
    [property: Id(4)] bool Draining,
    [property: Id(5)] DateTimeOffset LastSeen);
