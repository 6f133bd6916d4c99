using System.Collections;
using System.Threading.Channels;
using Tlc.Tables;

namespace Tlc.Metrics;

/// <summary>How a <see cref="DataLoader{T, TBatch}"/> loads.</summary>
public sealed class DataLoaderOptions
{
    /// <summary>Samples per batch (the last batch of an epoch may be smaller). Default: 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Threads decoding and transforming samples. Default: one per processor.</summary>
    public int DecodeThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches made ahead of the one the caller works on. Default: 2.</summary>
    public int Prefetch { get; init; } = 2;

    /// <summary>Leave out an epoch's last batch when it is smaller than <see cref="BatchSize"/>. Default: false.</summary>
    public bool DropLast { get; init; }
}

/// <summary>
/// PyTorch's <c>DataLoader</c> over a table view (<see cref="Table.WithTransform{T}"/>): one epoch's indices (from a
/// sampler, e.g. <c>Samplers.ForRank</c>), cut into batches in order; each batch's samples are decoded and transformed on
/// <see cref="DataLoaderOptions.DecodeThreads"/> threads and collated (e.g. <see cref="Collate.Stack"/>), up to
/// <see cref="DataLoaderOptions.Prefetch"/> batches ahead of the caller, so decoding overlaps training. Batches come in
/// sampler order whatever the threads do; the caller disposes each batch (its tensors) when done. Leaving an enumeration
/// early stops the decoding and disposes the batches made ahead.
/// </summary>
/// <typeparam name="T">A transformed sample.</typeparam>
/// <typeparam name="TBatch">A collated batch.</typeparam>
public sealed class DataLoader<T, TBatch> : IEnumerable<TBatch>
    where TBatch : IDisposable
{
    private readonly TableView<T> _view;
    private readonly IReadOnlyList<long> _indices;
    private readonly Func<T[], TBatch> _collate;
    private readonly DataLoaderOptions _options;

    /// <summary>
    /// A loader of <paramref name="view"/>'s items at <paramref name="indices"/> (view positions, in order), collated by
    /// <paramref name="collate"/>, which owns the items it is given (e.g. disposes their tensors once stacked).
    /// </summary>
    public DataLoader(TableView<T> view, IEnumerable<long> indices, Func<T[], TBatch> collate, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(collate);
        _options = options ?? new DataLoaderOptions();
        if (_options.BatchSize < 1 || _options.DecodeThreads < 1 || _options.Prefetch < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "BatchSize, DecodeThreads and Prefetch must be at least 1.");
        }
        _view = view;
        _indices = [.. indices];
        _collate = collate;
        foreach (var index in _indices)
        {
            if (index < 0 || index >= view.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(indices), $"Index {index} is outside the {view.Count} items of the view of {view.Table.Url}.");
            }
        }
    }

    /// <summary>Batches in one pass.</summary>
    public int Count => _options.DropLast ? _indices.Count / _options.BatchSize : (_indices.Count + _options.BatchSize - 1) / _options.BatchSize;

    /// <summary>Samples in one pass.</summary>
    public int Samples => _options.DropLast ? Count * _options.BatchSize : _indices.Count;

    /// <inheritdoc />
    public IEnumerator<TBatch> GetEnumerator()
    {
        var batches = Channel.CreateBounded<TBatch>(new BoundedChannelOptions(_options.Prefetch) { SingleReader = true, SingleWriter = true });
        using var stop = new CancellationTokenSource();
        var producing = Task.Run(() => ProduceAsync(batches.Writer, stop.Token), CancellationToken.None);
        try
        {
            while (batches.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (batches.Reader.TryRead(out var batch))
                {
                    yield return batch;
                }
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                producing.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
            }
            while (batches.Reader.TryRead(out var left))
            {
                left.Dispose();
            }
        }
    }

    private async Task ProduceAsync(ChannelWriter<TBatch> writer, CancellationToken token)
    {
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = _options.DecodeThreads, CancellationToken = token };
            for (var at = 0; at + (_options.DropLast ? _options.BatchSize : 1) <= _indices.Count; at += _options.BatchSize)
            {
                var items = new T[Math.Min(_options.BatchSize, _indices.Count - at)];
                var first = at;
                try
                {
                    Parallel.For(0, items.Length, parallel, i =>
                    {
                        var index = checked((int)_indices[first + i]);
                        try
                        {
                            items[i] = _view[index];
                        }
                        catch (Exception e) when (e is not OperationCanceledException)
                        {
                            throw new InvalidOperationException($"Item {index} of the view of {_view.Table.Url}: {e.Message}", e);
                        }
                    });
                }
                catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                {
                    DisposeAll(items);
                    throw e.InnerExceptions.OrderBy(x => x.Message, StringComparer.Ordinal).First();
                }
                TBatch batch;
                try
                {
                    // The collate owns the items from here (it disposes what it does not keep).
                    batch = _collate(items);
                }
                catch
                {
                    DisposeAll(items);
                    throw;
                }
                await writer.WriteOrDisposeAsync(batch, token).ConfigureAwait(false);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e is OperationCanceledException && token.IsCancellationRequested ? null : e);
        }
    }

    private static void DisposeAll(T[] items)
    {
        foreach (var item in items)
        {
            (item as IDisposable)?.Dispose();
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
