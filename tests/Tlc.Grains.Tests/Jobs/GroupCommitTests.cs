using Tlc.Grains.Jobs;

namespace Tlc.Grains.Tests.Jobs;

/// <summary>Group commit runs in a grain's single-threaded turns: every test body runs on one exclusive scheduler, as a grain's does.</summary>
public sealed class GroupCommitTests
{
    private static Task OnOneThread(Func<Task> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.None, new ConcurrentExclusiveSchedulerPair().ExclusiveScheduler).Unwrap();

    [Fact]
    public Task DurableAsync_ChangesMadeWhileAWriteIsInFlight_GoOutTogetherInTheNext() => OnOneThread(async () =>
    {
        var release = new TaskCompletionSource();
        var writes = new List<int>();
        var changed = 0;
        GroupCommit commit = null!;
        commit = new GroupCommit(async () =>
        {
            writes.Add(changed);
            if (writes.Count == 1)
            {
                await release.Task;
            }
        }, _ => { });

        changed++;
        commit.Changed();
        var first = commit.DurableAsync();
        await Task.Delay(50, TestContext.Current.CancellationToken); // the first write is in flight
        var waiting = new List<Task>();
        for (var i = 0; i < 10; i++)
        {
            changed++;
            commit.Changed();
            waiting.Add(commit.DurableAsync());
        }
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        release.SetResult();
        await first;
        await Task.WhenAll(waiting);

        Assert.Equal(2, commit.Writes);
        Assert.Equal([1, 11], writes);
        Assert.False(commit.Dirty);
    });

    [Fact]
    public Task DurableAsync_NothingChanged_NoWrite() => OnOneThread(async () =>
    {
        var commit = new GroupCommit(() => throw new InvalidOperationException("no write expected"), _ => { });
        await commit.DurableAsync();
        Assert.Equal(0, commit.Writes);
    });

    [Fact]
    public Task DurableAsync_WriteFails_WaitersFail_FailureReported_NextWriteRuns() => OnOneThread(async () =>
    {
        var fail = true;
        Exception? reported = null;
        var commit = new GroupCommit(() => fail ? Task.FromException(new IOException("disk full")) : Task.CompletedTask, e => reported = e);
        commit.Changed();

        var error = await Assert.ThrowsAsync<IOException>(commit.DurableAsync);
        Assert.Same(error, reported);
        Assert.True(commit.Dirty);

        fail = false;
        await commit.DurableAsync();
        Assert.False(commit.Dirty);
        Assert.Equal(1, commit.Writes);
    });
}
