namespace Tlc.Grains.Jobs;

/// <summary>
/// Group commit for a reentrant grain: callers mark changes and await <see cref="DurableAsync"/>; one write is in flight at
/// a time, and every change made while it was in flight goes out in the next one, so N concurrent commits cost about one
/// write while each caller is still answered only once its change is durable. A write yields first, so requests already
/// queued at the grain make their changes before it starts. A failed write fails its waiters and
/// <paramref name="failed"/> is called (the grain's memory is then ahead of its storage: it must deactivate).
/// </summary>
/// <param name="write">Writes every change made so far (called with no other write in flight).</param>
/// <param name="failed">Called when a write failed.</param>
internal sealed class GroupCommit(Func<Task> write, Action<Exception> failed)
{
    private long _changes;
    private long _durable;
    private Task? _writing;

    /// <summary>Changes marked so far.</summary>
    public long Changes => _changes;

    /// <summary>True when changes were made that are not durable yet.</summary>
    public bool Dirty => _durable < _changes;

    /// <summary>Writes completed.</summary>
    public long Writes { get; private set; }

    /// <summary>Marks a change (call after making it in memory).</summary>
    public void Changed() => _changes++;

    /// <summary>Completes once every change marked before this call is durable.</summary>
    public async Task DurableAsync()
    {
        var target = _changes;
        while (_durable < target)
        {
            _writing ??= WriteAsync();
            await _writing;
        }
    }

    private async Task WriteAsync()
    {
        try
        {
            await Task.Yield();
            var upTo = _changes;
            await write();
            _durable = Math.Max(_durable, upTo);
            Writes++;
        }
        catch (Exception e)
        {
            failed(e);
            throw;
        }
        finally
        {
            _writing = null;
        }
    }
}
