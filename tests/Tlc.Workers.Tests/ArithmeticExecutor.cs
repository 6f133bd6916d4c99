using System.Collections;
using Tlc.Cluster;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;

namespace Tlc.Workers.Tests;

/// <summary>
/// A shard executor without a model: reads the shard's rows and writes <c>twice = 2 × x</c> — enough to exercise the
/// lease/commit protocol with real tables, chunk files and grains. Faults can be injected per shard.
/// </summary>
internal sealed class ArithmeticExecutor(UrlAdapterRegistry adapters) : IShardExecutor
{
    public static TableSchema OutputSchema() => new() { ["example_id"] = new ExampleIdSchema(), ["twice"] = new Float64Schema() };

    public Func<ShardTask, long[], long[]>? CorruptIds { get; set; }

    public int Executions;

    /// <summary>A pause per shard, to keep a job running long enough for a fault to hit it mid-way.</summary>
    public TimeSpan Delay { get; set; }

    public async Task<ShardOutput> ExecuteAsync(ShardTask task, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Executions);
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }
        using var table = await Table.OpenAsync(task.Job.TableUrl, adapters, cancellationToken);
        var ids = new List<long>();
        var twice = new List<double>();
        for (var row = task.Shard.Start; row < task.Shard.End; row++)
        {
            if (task.Job.ExcludeZeroWeights && table.GetValue("weight", row) is 0f)
            {
                continue;
            }
            ids.Add(row);
            twice.Add(2 * (double)table.GetValue("x", row)!);
        }
        var idArray = CorruptIds?.Invoke(task, [.. ids]) ?? [.. ids];
        var builder = new RecordBatchBuilder(OutputSchema());
        builder.AddColumns(new Dictionary<string, IList> { ["example_id"] = idArray, ["twice"] = twice.Take(idArray.Length).Concat(Enumerable.Repeat(0.0, Math.Max(0, idArray.Length - twice.Count))).ToArray() }, idArray.Length);
        var batch = builder.Build();
        var chunk = await ChunkFiles.WriteAsync(adapters, task.ChunkUrl, batch.Schema, One(batch), cancellationToken: cancellationToken);
        return new ShardOutput(chunk.Rows, chunk.Bytes, [.. chunk.Batches], idArray);
    }

    private static async IAsyncEnumerable<Apache.Arrow.RecordBatch> One(Apache.Arrow.RecordBatch batch)
    {
        await Task.CompletedTask;
        yield return batch;
    }
}
