using Tlc.Cluster;

namespace Tlc;

/// <summary>How <c>CollectMetricsAsync</c> collects (3LC's collect_metrics arguments, and the distributed job's settings).</summary>
public sealed class CollectOptions
{
    /// <summary>The split name: names the aggregates logged (<c>&lt;split&gt;_&lt;column&gt;_avg</c>) and the default stream. Default: none.</summary>
    public string? Split { get; init; }

    /// <summary>Constant columns added to every row (e.g. <c>{"epoch": 3}</c>). Default: none.</summary>
    public IReadOnlyDictionary<string, object?>? Constants { get; init; }

    /// <summary>Skip rows whose weight is 0. Default: false.</summary>
    public bool ExcludeZeroWeights { get; init; }

    /// <summary>Samples per model batch. Default: 64.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Rows per shard of a distributed job; a multiple of <see cref="BatchSize"/>, so batches are the same as in-process. Default: 4,096.</summary>
    public int ShardRows { get; init; } = 4096;

    /// <summary>The metrics table's stream name. Default: the split, else "metrics".</summary>
    public string? StreamName { get; init; }

    /// <summary>Log <c>&lt;split&gt;_&lt;column&gt;_avg</c> of numeric columns on the run. Default: true.</summary>
    public bool CollectAggregates { get; init; } = true;

    /// <summary>Receives the job's progress (rows/s, shards done, ETA). Default: none.</summary>
    public IProgress<JobProgress>? Progress { get; init; }

    /// <summary>How often progress is polled. Default: 250 ms.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Attempts per shard before the job fails. Default: 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>How long a shard lease lasts without renewal. Default: 30 s.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Decode threads of in-process collection. Default: the processor count.</summary>
    public int DecodeThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>The job id (to make a submission idempotent across client restarts). Default: a new one.</summary>
    public string? JobId { get; init; }
}

/// <summary>A metrics job that failed or was cancelled: its errors (the shard errors).</summary>
public sealed class MetricsJobFailedException(JobProgress progress)
    : InvalidOperationException($"Metrics job {progress.JobId} {progress.Status.ToString().ToLowerInvariant()}: {string.Join("; ", progress.Errors.Take(5))}{(progress.Errors.Length > 5 ? $" (+{progress.Errors.Length - 5} more)" : "")}")
{
    /// <summary>The job's final progress.</summary>
    public JobProgress Progress { get; } = progress;
}
