using System.Diagnostics;

namespace Tlc.Bench;

/// <summary>
/// How fast the machine runs right now: a fixed integer workload on every core at once. A benchmark that compares jobs run
/// minutes apart reports the probe's range between them, so a reader sees whether the machine kept its speed (on a shared
/// virtual machine the host's other tenants can slow every core).
/// </summary>
internal static class SpeedProbe
{
    private const int Iterations = 40_000_000;

    /// <summary>Seconds the workload takes per core: the median of three tries.</summary>
    public static double Measure()
    {
        var tries = new double[3];
        for (var t = 0; t < tries.Length; t++)
        {
            var seconds = new double[Environment.ProcessorCount];
            Parallel.For(0, seconds.Length, new ParallelOptions { MaxDegreeOfParallelism = seconds.Length }, core =>
            {
                var watch = Stopwatch.StartNew();
                Sink = Xorshift(Iterations);
                seconds[core] = watch.Elapsed.TotalSeconds;
            });
            tries[t] = seconds.Average();
        }
        Array.Sort(tries);
        return tries[1];
    }

    /// <summary>Keeps the workload's result alive so the JIT cannot drop it.</summary>
    public static ulong Sink { get; private set; }

    private static ulong Xorshift(int n)
    {
        var x = 88172645463325252UL;
        for (var i = 0; i < n; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
        }
        return x;
    }
}
