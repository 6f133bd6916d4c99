namespace Tlc.Cluster;

/// <summary>
/// Compact descriptions of a set of example ids, so grains can check exactly-once coverage without ever holding rows:
/// ascending runs (start, count) and an order-independent digest that any duplicate or missing id changes.
/// </summary>
public static class ExampleIds
{
    /// <summary>The digest of <paramref name="ids"/>: count and a sum of mixed ids, as 32 hex digits.</summary>
    public static string Digest(IEnumerable<long> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ulong sum = 0;
        ulong xor = 0;
        long count = 0;
        foreach (var id in ids)
        {
            var mixed = Mix((ulong)id);
            sum += mixed;
            xor ^= Mix(mixed);
            count++;
        }
        return $"{count:x8}{sum:x16}{xor & 0xffffffff:x8}";
    }

    /// <summary>The digest of the ids covered by ascending runs.</summary>
    public static string Digest(IEnumerable<IdRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return Digest(runs.SelectMany(r => Range(r.Start, r.Count)));
    }

    /// <summary>Runs of consecutive ids in an ascending sequence; throws naming the first id that repeats or goes back.</summary>
    public static List<IdRun> Runs(IEnumerable<long> ascendingIds)
    {
        ArgumentNullException.ThrowIfNull(ascendingIds);
        var runs = new List<IdRun>();
        long start = -1, count = 0, last = -1;
        foreach (var id in ascendingIds)
        {
            if (count > 0 && id <= last)
            {
                throw new InvalidOperationException(id == last ? $"example_id {id} appears twice." : $"example_id {id} comes after {last}: ids must ascend.");
            }
            if (count > 0 && id == start + count)
            {
                count++;
            }
            else
            {
                if (count > 0)
                {
                    runs.Add(new IdRun(start, count));
                }
                start = id;
                count = 1;
            }
            last = id;
        }
        if (count > 0)
        {
            runs.Add(new IdRun(start, count));
        }
        return runs;
    }

    private static IEnumerable<long> Range(long start, long count)
    {
        for (var i = 0L; i < count; i++)
        {
            yield return start + i;
        }
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}

/// <summary>A run of consecutive example ids.</summary>
/// <param name="Start">The first id.</param>
/// <param name="Count">How many.</param>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed record IdRun([property: Id(0)] long Start, [property: Id(1)] long Count);
