using Tlc.Cluster;

namespace Tlc.Grains.Jobs;

/// <summary>The durable list of jobs that need workers, and of the newest jobs of every kind.</summary>
[GenerateSerializer]
public sealed class JobQueueState
{
    /// <summary>Jobs that need workers.</summary>
    [Id(0)] public List<JobRef> Active { get; set; } = [];

    /// <summary>Jobs submitted, oldest first (the newest <see cref="JobQueueGrain.History"/>).</summary>
    [Id(1)] public List<JobRef> All { get; set; } = [];
}

/// <summary>
/// The work queue every worker polls (one for every kind: a worker takes the kinds it can run), persisted so that after a
/// full restart polling workers reactivate the jobs (a job grain is activated again by the first worker that asks it for
/// leases), and the newest jobs of every kind for listings.
/// </summary>
internal sealed class JobQueueGrain([PersistentState("queue", TlcGrainNames.Storage)] IPersistentState<JobQueueState> state) : Grain, IJobQueueGrain
{
    /// <summary>Jobs kept in the history.</summary>
    internal const int History = 1000;

    private static readonly TimeSpan LongestWait = TimeSpan.FromMinutes(1);

    /// <summary>Completed (and replaced) whenever the active jobs change.</summary>
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task EnqueueAsync(JobRef job, bool needsWorkers)
    {
        ArgumentNullException.ThrowIfNull(job);
        var added = false;
        var changed = false;
        if (needsWorkers && !state.State.Active.Any(j => j.Id == job.Id))
        {
            state.State.Active.Add(job);
            added = changed = true;
        }
        if (!state.State.All.Any(j => j.Id == job.Id))
        {
            state.State.All.Add(job);
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
        if (state.State.Active.RemoveAll(j => j.Id == jobId) > 0)
        {
            await state.WriteStateAsync();
            Signal();
        }
    }

    public Task<JobRef[]> GetActiveAsync() => Task.FromResult(state.State.Active.ToArray());

    public async Task<JobRef[]> WaitForChangeAsync(string[] known, TimeSpan maxWait)
    {
        ArgumentNullException.ThrowIfNull(known);
        if (maxWait > TimeSpan.Zero && state.State.Active.Select(j => j.Id).ToHashSet(StringComparer.Ordinal).SetEquals(known))
        {
            await Task.WhenAny(_changed.Task, Task.Delay(maxWait < LongestWait ? maxWait : LongestWait));
        }
        return [.. state.State.Active];
    }

    public Task<JobRef[]> GetAllAsync() => Task.FromResult(Enumerable.Reverse(state.State.All).ToArray());

    private void Signal()
    {
        var changed = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }
}
