using System.CommandLine;
using Spectre.Console;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Import.Jobs;
using Tlc.Workers;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc import &lt;format&gt; … --cluster</c>: plans the import here, submits it as a job of the configured cluster (or
/// of the root's embedded silo), runs workers in this process when none is registered, and follows the job with a
/// progress bar (chunks, rows/s, ETA, errors so far). Ctrl+C cancels the job: nothing is published.
/// </summary>
internal static class ImportClusterCommand
{
    private static readonly TimeSpan WorkerLiveness = TimeSpan.FromSeconds(15);

    public static async Task<Table> RunAsync(string source, Func<string, ImportJobOptions, CancellationToken, Task<(ImportJobSpec? Spec, Table? Existing)>> plan,
        ParseResult parse, CancellationToken cancellationToken)
    {
        var settings = CliContext.Settings(parse);
        var chunkMiB = parse.GetValue(ImportCommand.ChunkMiB);
        if (!(chunkMiB > 0) || parse.GetValue(ImportCommand.Workers) is < 0)
        {
            throw new UsageException("--chunk-mb must be positive and --workers must not be negative.");
        }
        var jobId = parse.GetValue(ImportCommand.JobId) ?? Guid.NewGuid().ToString("N");
        var (spec, existing) = await plan(jobId, new ImportJobOptions { ChunkBytes = (long)(chunkMiB * (1 << 20)), ErrorPolicy = parse.GetValue(ImportCommand.OnError) }, cancellationToken);
        if (existing is not null)
        {
            return existing;
        }
        await using var connection = await ClusterCli.ConnectAsync(settings, cancellationToken);
        var context = connection.Context;
        var registered = await context.Client.GetGrain<IWorkerRegistryGrain>("default").ListAsync(WorkerLiveness).WaitAsync(cancellationToken);
        var live = registered.Count(w => !w.Draining);
        var local = parse.GetValue(ImportCommand.Workers) ?? (live == 0 ? Math.Max(1, Environment.ProcessorCount) : 0);
        if (local == 0 && live == 0)
        {
            await Console.Error.WriteLineAsync($"tlc: warning: no worker is registered with the cluster; the import waits until one starts (tlc worker --root {settings.RootUrl}).");
        }
        await using var pool = local > 0 ? InProcessWorkers.Start(context, local, new WorkerOptions { PollInterval = TimeSpan.FromMilliseconds(100) }) : null;
        var job = await ImportJob.SubmitAsync(context, spec!, cancellationToken);
        var json = parse.GetValue(CliContext.Json);
        try
        {
            if (!json && !Console.IsOutputRedirected)
            {
                return await CliRunner.Console2.Progress()
                    .AutoClear(false)
                    .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
                    .StartAsync(async progress =>
                    {
                        var task = progress.AddTask($"import {jobId[..Math.Min(8, jobId.Length)]}: planned {spec!.Chunks.Length} chunks", maxValue: Math.Max(1, spec.Chunks.Sum(c => c.Bytes)));
                        return await job.WaitAsync(new Reporter(p =>
                        {
                            task.Value = p.BytesCommitted;
                            task.Description = Markup.Escape(Describe(p));
                        }), cancellationToken: cancellationToken);
                    });
            }
            var announced = false;
            return await job.WaitAsync(new Reporter(p =>
            {
                if (!announced && !json)
                {
                    announced = true;
                    Console.WriteLine($"Import job {p.JobId}: {p.Chunks} chunks, {p.Bytes:N0} bytes; {local} worker(s) in this process, {live} registered.");
                }
            }), cancellationToken: cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await job.CancelAsync(stop.Token);
            throw;
        }
    }

    internal static string Describe(ImportProgress p) =>
        $"import {p.JobId[..Math.Min(8, p.JobId.Length)]} {ClusterCli.Name(p.Status)}: {p.ChunksCommitted}/{p.Chunks} chunks, " +
        $"{ClusterCli.Number(p.RowsPerSecond)} rows/s" + (p.IsFinished ? "" : $", ETA {ClusterCli.Duration(p.Eta)}") +
        (p.Errors.Length > 0 ? $", {p.Errors.Length} error(s)" : "");

    /// <summary>Reports synchronously on the polling thread.</summary>
    private sealed class Reporter(Action<ImportProgress> report) : IProgress<ImportProgress>
    {
        public void Report(ImportProgress value) => report(value);
    }
}
