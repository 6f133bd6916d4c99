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
