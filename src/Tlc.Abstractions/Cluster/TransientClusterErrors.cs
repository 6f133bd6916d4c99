using Orleans.Serialization;

namespace Tlc;

/// <summary>
/// Which failures of a grain call are worth retrying: the call timed out, a silo was unavailable or the cluster was
/// changing (any <see cref="OrleansException"/>), or the silo's own failure could not be serialised back to the caller
/// (a <see cref="SerializerException"/>, e.g. a placement timeout while silos join or leave). Callers that retry
/// bound their attempts, so an error that is not transient after all still surfaces.
/// </summary>
public static class TransientClusterErrors
{
    /// <summary>Whether <paramref name="error"/> is worth retrying.</summary>
    public static bool IsTransient(Exception error) => error is TimeoutException or OrleansException or SerializerException;
}
