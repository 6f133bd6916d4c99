using Tlc.Cluster;

namespace Tlc.Grains;

/// <summary>The durable list of jobs that need workers, and of every job submitted (the newest 1,000).</summary>
[GenerateSerializer]
public sealed class JobQueueState
{
    /// <summary>Jobs that need workers.</summary>
    [Id(0)] public List<string> Active { get; set; } = [];

    /// <summary>Jobs ever submitted, oldest first (bounded).</summary>
    [Id(1)] public List<string> All { get; set; } = [];
}

/// <summary>
/// The jobs that need workers, persisted so that after a full restart polling workers reactivate them (a job grain is
/// activated again by the first worker that asks it for leases).
/// </summary>
internal sealed class JobQueueGrain([PersistentState("queue", TlcGrainNames.Storage)] IPersistentState<JobQueueState> state, TimeProvider time) : Grain, IJobQueueGrain
{
    private const int History = 1000;
    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);

    /// <summary>Completed (and replaced) whenever the active jobs change.</summary>
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task EnqueueAsync(string jobId)
    {
        var changed = false;
        var added = false;
        if (!state.State.Active.Contains(jobId))
        {
            state.State.Active.Add(jobId);
            changed = true;
            added = true;
        }
        if (!state.State.All.Contains(jobId))
        {
            state.State.All.Add(jobId);
            if (state.State.All.Count > History)
            {
                state.State.All.RemoveAt(0);
            }
            changed = true;
        }
        if (changed)
        {
            await state.WriteStateAsync();
        }
        if (added)
        {
            Signal();
        }
    }

    public async Task RemoveAsync(string jobId)
    {
        if (state.State.Active.Remove(jobId))
        {
            await state.WriteStateAsync();
            Signal();
        }
    }

    public Task<string[]> GetActiveAsync() => Task.FromResult(state.State.Active.ToArray());

    public async Task<string[]> WaitForChangeAsync(string[] known, TimeSpan maxWait)
    {
        ArgumentNullException.ThrowIfNull(known);
        if (maxWait > TimeSpan.Zero && state.State.Active.ToHashSet(StringComparer.Ordinal).SetEquals(known))
        {
            await Task.WhenAny(_changed.Task, Task.Delay(maxWait < LongestWait ? maxWait : LongestWait, time));
        }
        return [.. state.State.Active];
    }

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    public Task<string[]> GetAllAsync() => Task.FromResult(Enumerable.Reverse(state.State.All).ToArray());
}
