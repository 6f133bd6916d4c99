namespace Tlc.Metrics.Reduction;

/// <summary>
/// A small seeded pseudo-random generator (SplitMix64): the same seed gives the same sequence on every machine and run.
/// A mutable struct: pass it by reference.
/// </summary>
internal struct SeededRandom
{
    private ulong _state;

    /// <summary>A generator whose sequence is fixed by <paramref name="seed"/> and <paramref name="stream"/> (e.g. a point's index).</summary>
    public SeededRandom(long seed, long stream = 0)
    {
        _state = Mix(unchecked((ulong)seed) ^ Mix(unchecked((ulong)stream + 0x632BE59BD9B4E019UL)));
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state = unchecked(_state + 0x9E3779B97F4A7C15UL);
        return Mix(_state);
    }

    /// <summary>A number in [0, <paramref name="maxExclusive"/>) (multiply-shift of 32 random bits; bias below 2^-32 · max).</summary>
    public int NextInt(int maxExclusive) => (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);

    /// <summary>A number in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal number (Box–Muller).</summary>
    public double NextGaussian() => Math.Sqrt(-2 * Math.Log(1 - NextDouble())) * Math.Cos(2 * Math.PI * NextDouble());

    /// <summary>SplitMix64's finaliser: a bijective scramble of 64 bits.</summary>
    public static ulong Mix(ulong z)
    {
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
