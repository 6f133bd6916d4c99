using System.Globalization;

namespace Tlc;

/// <summary>
/// Who this process is in a distributed training launch: its rank, the world size, its local rank, the launch it belongs
/// to and its attempt. Ranks of one launch (and of its restarts) write one table per stream and epoch; a rank's new
/// attempt replaces its unfinished share. <see cref="FromEnvironment"/> reads what PyTorch launchers set.
/// </summary>
/// <param name="Rank">The rank, 0..<paramref name="WorldSize"/>−1.</param>
/// <param name="WorldSize">The number of ranks.</param>
/// <param name="LocalRank">The rank on this machine.</param>
/// <param name="LaunchId">The launch: the same for every rank of it and for its restarts.</param>
/// <param name="Attempt">This process's attempt: unique per process, so a restarted rank replaces its earlier attempt.</param>
public sealed record RankInfo(int Rank, int WorldSize, int LocalRank, string LaunchId, string Attempt)
{
    /// <summary>
    /// Reads <c>RANK</c>, <c>WORLD_SIZE</c> and <c>LOCAL_RANK</c> (default: the rank); the launch id from
    /// <c>TLC_LAUNCH_ID</c>, else <c>TORCHELASTIC_RUN_ID</c>, else <c>MASTER_ADDR:MASTER_PORT</c>; the attempt from
    /// <c>TLC_RANK_ATTEMPT</c>, else a new id for this process. Without <c>RANK</c> and <c>WORLD_SIZE</c> the process is
    /// rank 0 of 1 (a single-process run).
    /// </summary>
    /// <param name="variables">Where to read the variables (default: the process environment).</param>
    /// <exception cref="ArgumentException">A variable is not a number, or the rank is outside the world.</exception>
    public static RankInfo FromEnvironment(Func<string, string?>? variables = null)
    {
        variables ??= Environment.GetEnvironmentVariable;
        var rankText = variables("RANK");
        var worldText = variables("WORLD_SIZE");
        if (string.IsNullOrEmpty(rankText) != string.IsNullOrEmpty(worldText))
        {
            throw new ArgumentException(string.IsNullOrEmpty(rankText) ? "WORLD_SIZE is set but RANK is not." : "RANK is set but WORLD_SIZE is not.");
        }
        var rank = Number(variables, "RANK", 0);
        var world = Number(variables, "WORLD_SIZE", 1);
        var local = Number(variables, "LOCAL_RANK", rank);
        var launch = variables("TLC_LAUNCH_ID") is { Length: > 0 } id ? id
            : variables("TORCHELASTIC_RUN_ID") is { Length: > 0 } elastic ? elastic
            : variables("MASTER_ADDR") is { Length: > 0 } address ? $"{address}:{variables("MASTER_PORT")}"
            : "single";
        var attempt = variables("TLC_RANK_ATTEMPT") is { Length: > 0 } given ? given : Guid.NewGuid().ToString("N")[..12];
        var info = new RankInfo(rank, world, local, launch, attempt);
        info.Validate();
        return info;
    }

    /// <summary>Rank 0 of 1 (a single process), with a new attempt.</summary>
    public static RankInfo Single() => new(0, 1, 0, "single", Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Checks the numbers; throws naming the one that is wrong.</summary>
    public void Validate()
    {
        if (WorldSize < 1 || WorldSize > Cluster.JobSpec.MaxWriters)
        {
            throw new ArgumentException($"WORLD_SIZE must be 1..{Cluster.JobSpec.MaxWriters} ({WorldSize}).");
        }
        if (Rank < 0 || Rank >= WorldSize)
        {
            throw new ArgumentException($"RANK {Rank} is outside 0..{WorldSize - 1} (WORLD_SIZE {WorldSize}).");
        }
        ArgumentException.ThrowIfNullOrEmpty(LaunchId);
        ArgumentException.ThrowIfNullOrEmpty(Attempt);
    }

    private static int Number(Func<string, string?> variables, string name, int fallback)
    {
        var text = variables(name);
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{name}='{text}' is not a non-negative integer.");
    }
}
