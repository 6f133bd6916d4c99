namespace Tlc.Grains.Jobs;

/// <summary>One bit per segment in a byte array (a job's planned, created and sealed segments): small enough for a job's state at any size.</summary>
internal static class SegmentBitmap
{
    /// <summary>True when bit <paramref name="segment"/> is set.</summary>
    public static bool Get(byte[] bits, int segment) =>
        segment >= 0 && segment < bits.Length * 8 && (bits[segment >> 3] & (1 << (segment & 7))) != 0;

    /// <summary>Sets bit <paramref name="segment"/>, growing the array when needed; false when it was set already.</summary>
    public static bool Set(ref byte[] bits, int segment)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(segment);
        if (segment >= bits.Length * 8)
        {
            Array.Resize(ref bits, Math.Max((segment >> 3) + 1, bits.Length * 2));
        }
        var mask = (byte)(1 << (segment & 7));
        if ((bits[segment >> 3] & mask) != 0)
        {
            return false;
        }
        bits[segment >> 3] |= mask;
        return true;
    }

    /// <summary>Bits set.</summary>
    public static int Count(byte[] bits)
    {
        var count = 0;
        foreach (var b in bits)
        {
            count += System.Numerics.BitOperations.PopCount(b);
        }
        return count;
    }
}
