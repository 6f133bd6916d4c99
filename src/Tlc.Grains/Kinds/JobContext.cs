using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Tlc.Cluster;
using Tlc.Tables.Urls;

namespace Tlc.Grains.Kinds;

/// <summary>What a kind sees of a job while publishing or cleaning up: its spec, its items read segment by segment in order, and the services grains use.</summary>
public sealed class JobContext
{
    private readonly int _items;
    private readonly Func<ItemInfo, bool>? _included;

    internal JobContext(JobSpec spec, int items, Func<ItemInfo, bool>? included, IGrainFactory grains, UrlAdapterRegistry adapters, TimeProvider time, ILogger logger)
    {
        Spec = spec;
        _items = items;
        _included = included;
        Grains = grains;
        Adapters = adapters;
        Time = time;
        Logger = logger;
    }

    /// <summary>The job's spec.</summary>
    public JobSpec Spec { get; }

    /// <summary>The grain factory (e.g. to register a metrics table with its run).</summary>
    public IGrainFactory Grains { get; }

    /// <summary>The URL adapters.</summary>
    public UrlAdapterRegistry Adapters { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The job grain's logger.</summary>
    public ILogger Logger { get; }

    /// <summary>
    /// The items that make the result, with state and commit, in item order, read one segment at a time (memory stays at one
    /// segment whatever the job's size): every item, but in a job of writers (<see cref="JobSpec.Writers"/>) only those of
    /// each writer's closing attempt (a replaced attempt's items are left out).
    /// </summary>
    public async IAsyncEnumerable<ItemInfo> ItemsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in AllItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (_included is null || _included(item))
            {
                yield return item;
            }
        }
    }

    /// <summary>The items of replaced attempts in a job of writers (none otherwise), in item order.</summary>
    public async IAsyncEnumerable<ItemInfo> ReplacedItemsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_included is null)
        {
            yield break;
        }
        await foreach (var item in AllItemsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!_included(item))
            {
                yield return item;
            }
        }
    }

    /// <summary>Every item, those of replaced attempts included (what clean-up deletes), in item order, a segment at a time.</summary>
    public async IAsyncEnumerable<ItemInfo> AllItemsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var segments = Spec.SegmentsFor(_items);
        // One segment ahead: its read overlaps the caller's work on the current one.
        Task<ItemInfo[]>? next = segments > 0 ? Read(0) : null;
        for (var s = 0; s < segments; s++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var current = await next!.ConfigureAwait(false);
            next = s + 1 < segments ? Read(s + 1) : null;
            foreach (var item in current)
            {
                yield return item;
            }
        }
    }

    private Task<ItemInfo[]> Read(int segment) => Grains.GetGrain<IJobSegmentGrain>(JobKeys.Segment(Spec.JobId, segment)).GetItemsAsync();
}
