using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Workers;

public sealed partial class WorkerHost
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker}: job {Job} shard {Shard} attempt {Attempt}: {Outcome}, {Rows} rows in {Seconds:F2} s")]
    private static partial void LogCommitted(ILogger logger, string worker, string job, int shard, int attempt, CommitOutcome outcome, long rows, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: job {Job} shard {Shard} attempt {Attempt}: lease lost, work dropped")]
    private static partial void LogLeaseLost(ILogger logger, string worker, string job, int shard, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: job {Job} shard {Shard} attempt {Attempt} failed")]
    private static partial void LogShardFailed(ILogger logger, Exception exception, string worker, string job, int shard, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker {Worker}: import {Job} chunk {Chunk} attempt {Attempt}: {Outcome}, {Rows} rows in {Seconds:F2} s")]
    private static partial void LogChunkCommitted(ILogger logger, string worker, string job, int chunk, int attempt, CommitOutcome outcome, long rows, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker {Worker}: import {Job} chunk {Chunk} attempt {Attempt} failed")]
    private static partial void LogChunkFailed(ILogger logger, Exception exception, string worker, string job, int chunk, int attempt);
}
