using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>Helpers for the lease state grains hold.</summary>
internal static class LeaseStates
{
    /// <summary>A copy of <paramref name="lease"/> to hand out (immutable messages must not share the grain's mutable state).</summary>
    public static LeaseState Copy(LeaseState lease) => new()
    {
        Status = lease.Status,
        Attempt = lease.Attempt,
        Holder = lease.Holder,
        Token = lease.Token,
        Deadline = lease.Deadline,
        CommittedOperation = lease.CommittedOperation,
        CommittedAttempt = lease.CommittedAttempt,
        Errors = lease.Errors,
        Expirations = lease.Expirations,
        Graced = lease.Graced,
        Part = lease.Part,
    };
}
