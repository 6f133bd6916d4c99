namespace Tlc.Grains;

/// <summary>Names the silo configuration and the grains agree on.</summary>
public static class TlcGrainNames
{
    /// <summary>The grain storage provider holding every Tlc grain's state.</summary>
    public const string Storage = "tlc";

    /// <summary>
    /// The key of the <see cref="TimeProvider"/> job grains read time from (leases, deadlines): the system clock, or virtual
    /// time in simulations — apart from the clock Orleans itself runs on.
    /// </summary>
    public const string JobClock = "tlc-jobs";
}
