using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// One long-lived thread that runs a loaded model's inference, one piece of work at a time in the order it arrives.
/// TorchSharp's <c>no_grad</c> and dispose scopes are per thread, so inference runs on a thread of its own; a worker that
/// computes many shards with one model keeps one such thread for the model instead of starting one per shard (a thread
/// start and torch's per-thread set-up cost about a millisecond a shard). The thread holds <c>no_grad</c> for its lifetime.
/// </summary>
public sealed class InferenceThread : IDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Thread _thread;
    private int _disposed;

    /// <summary>Starts the thread (a background thread named <paramref name="name"/>).</summary>
    public InferenceThread(string name = "Tlc metrics inference")
    {
        TorchRuntime.KeepTensorMemory();
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>
    /// Runs <paramref name="work"/> on the thread once the work queued before it is done. Cancelling skips it if it has not
    /// started; work that started runs to its end (the caller may dispose what it used once the task completes).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The thread was disposed.</exception>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    done.TrySetCanceled(cancellationToken);
                    return;
                }
                try
                {
                    done.TrySetResult(work());
                }
                catch (Exception e)
                {
                    done.TrySetException(e);
                }
            }, CancellationToken.None);
        }
        catch (InvalidOperationException) when (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(InferenceThread));
        }
        return done.Task;
    }

    private void Loop()
    {
        using var noGrad = no_grad();
        foreach (var work in _work.GetConsumingEnumerable())
        {
            work();
        }
    }

    /// <summary>Lets the work queued so far finish, then ends the thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _work.CompleteAdding();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join();
            _work.Dispose();
        }
    }
}
