using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>
/// The state of a sink grain: spec, part count and publication are durable; the committed bitset is a cache of what the
/// part grains (the truth) say, written along with the rest.
/// </summary>
[GenerateSerializer]
public sealed class SinkState
{
    /// <summary>The sink's spec.</summary>
    [Id(0)] public SinkSpec? Spec { get; set; }

    /// <summary>Parts known.</summary>
    [Id(1)] public int Parts { get; set; }

    /// <summary>One bit per part: committed.</summary>
    [Id(2)] public byte[] Committed { get; set; } = [];

    /// <summary>The published metrics table.</summary>
    [Id(3)] public string? PublishedUrl { get; set; }

    /// <summary>Why publication failed.</summary>
    [Id(4)] public string? Error { get; set; }

    /// <summary>True when part <paramref name="index"/> committed.</summary>
    public bool IsCommitted(int index) => index < Committed.Length * 8 && (Committed[index >> 3] & (1 << (index & 7))) != 0;

    /// <summary>Marks part <paramref name="index"/> committed; false when it already was.</summary>
    public bool MarkCommitted(int index)
    {
        if (IsCommitted(index))
        {
            return false;
        }
        if (index >= Committed.Length * 8)
        {
            var grown = new byte[Math.Max((index >> 3) + 1, Committed.Length * 2)];
            Committed.CopyTo(grown, 0);
            Committed = grown;
        }
        Committed[index >> 3] |= (byte)(1 << (index & 7));
        return true;
    }

    /// <summary>How many parts committed.</summary>
    public int CommittedCount => Committed.Sum(b => System.Numerics.BitOperations.PopCount(b));
}
