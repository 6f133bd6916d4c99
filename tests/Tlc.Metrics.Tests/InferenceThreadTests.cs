using Tlc.Metrics;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

public sealed class InferenceThreadTests
{
    [Fact(Timeout = 30_000)]
    public async Task RunAsync_ManyCallers_OneThreadInArrivalOrderUnderNoGrad()
    {
        using var inference = new InferenceThread();
        var order = new List<int>();

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => inference.RunAsync(() =>
        {
            order.Add(i);
            return (Thread: Environment.CurrentManagedThreadId, Grad: is_grad_enabled());
        }, TestContext.Current.CancellationToken)));

        Assert.Single(results.Select(r => r.Thread).Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, results[0].Thread);
        Assert.All(results, r => Assert.False(r.Grad));
        Assert.Equal(Enumerable.Range(0, 50), order);
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_WorkThrows_TheCallerGetsTheExceptionAndTheThreadGoesOn()
    {
        using var inference = new InferenceThread();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => inference.RunAsync<int>(() => throw new InvalidOperationException("bad batch"), TestContext.Current.CancellationToken));

        Assert.Equal("bad batch", error.Message);
        Assert.Equal(42, await inference.RunAsync(() => 42, TestContext.Current.CancellationToken));
    }

    [Fact(Timeout = 30_000)]
    public async Task RunAsync_CancelledWhileQueued_SkippedNotRun_AndAfterDispose_Refused()
    {
        var inference = new InferenceThread();
        using var gate = new ManualResetEventSlim();
        using var cancel = new CancellationTokenSource();
        var ran = false;
        var blocking = inference.RunAsync(() => gate.Wait(TimeSpan.FromSeconds(10)), TestContext.Current.CancellationToken);
        var queued = inference.RunAsync(() => ran = true, cancel.Token);

        await cancel.CancelAsync();
        gate.Set();

        Assert.True(await blocking);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.False(ran);
        inference.Dispose();
        Assert.Throws<ObjectDisposedException>(() => { _ = inference.RunAsync(() => 1, TestContext.Current.CancellationToken); });
    }
}
