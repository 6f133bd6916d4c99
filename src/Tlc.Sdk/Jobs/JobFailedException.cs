using Tlc.Cluster;

namespace Tlc;

/// <summary>A job failed or was cancelled: nothing was published. The message names its errors (every item's, or why publication was refused).</summary>
/// <param name="progress">The job's final progress.</param>
public sealed class JobFailedException(JobProgress progress)
    : InvalidOperationException($"{char.ToUpperInvariant(progress.Kind.FirstOrDefault('j'))}{(progress.Kind.Length > 1 ? progress.Kind[1..] : "ob")} job {progress.JobId} {progress.Status.ToString().ToLowerInvariant()}: " +
        $"{string.Join("; ", progress.Errors.Take(5))}{(progress.Errors.Length > 5 ? $" (+{progress.Errors.Length - 5} more)" : "")}")
{
    /// <summary>The job's final progress.</summary>
    public JobProgress Progress { get; } = progress;
}
