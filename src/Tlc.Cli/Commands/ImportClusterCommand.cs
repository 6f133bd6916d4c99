using System.CommandLine;
using Spectre.Console;
using Tlc.Cluster;
using Tlc.Tables;
using Tlc.Tables.Import.Jobs;
using Tlc.Tables.Configuration;
using Tlc.Workers;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc import &lt;format&gt; … --cluster</c>: plans the import here, submits it as a job of the configured cluster (or
/// of the root's embedded silo), runs workers in this process when none is registered, and follows the job with a
/// progress bar (chunks, rows/s, ETA, errors so far). Ctrl+C cancels the job: nothing is published.
/// </summary>
internal static class ImportClusterCommand
{
    public static async Task<Table> RunAsync(ImportSource source, ParseResult parse, CancellationToken cancellationToken)
    {
        var settings = CliContext.Settings(parse);
        var chunkMiB = parse.GetValue(ImportCommand.ChunkMiB);
        var leaseSeconds = parse.GetValue(ImportCommand.LeaseSeconds);
        if (!(chunkMiB > 0) || parse.GetValue(ImportCommand.Workers) is < 0 || !(leaseSeconds > 0))
        {
            throw new UsageException("--chunk-mb and --lease-seconds must be positive and --workers must not be negative.");
        }
        var jobId = parse.GetValue(ImportCommand.JobId) ?? Guid.NewGuid().ToString("N");
        var json = parse.GetValue(CliContext.Json);
        var options = new ClusterImportOptions
        {
            Settings = settings,
            JobId = jobId,
            Job = new ImportJobOptions
            {
                ChunkBytes = (long)(chunkMiB * (1 << 20)),
                ErrorPolicy = parse.GetValue(ImportCommand.OnError),
                LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
                ImagesPerChunk = parse.GetResult(ImportCommand.ImagesPerChunk) is null ? ImportJobs.DefaultImagesPerChunk
                    : parse.GetValue(ImportCommand.ImagesPerChunk) is > 0 and var images ? images : throw new UsageException("--images-per-chunk must be positive."),
            },
            LocalWorkers = parse.GetValue(ImportCommand.Workers),
        };
        var interactive = !json && !Console.IsOutputRedirected;
        var outageLines = new OutageLines(TimeSpan.FromSeconds(settings.Cluster.ReconnectTimeoutSeconds), interactive);
        options = options with { Outages = outageLines };
        if (!interactive)
        {
            return await ClusterImport.ImportAsync(source, options with { Submitted = s => Announce(s, settings, json) }, cancellationToken: cancellationToken);
        }
        return await CliRunner.Console2.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask($"import {jobId[..Math.Min(8, jobId.Length)]}: planning", maxValue: 1);
                outageLines.Status = waiting => task.Description = Markup.Escape($"import {jobId[..Math.Min(8, jobId.Length)]} {waiting ?? "reconnected"}");
                return await ClusterImport.ImportAsync(source, options with
                {
                    Submitted = s =>
                    {
                        Announce(s, settings, json: true);
                        task.MaxValue = Math.Max(1, s.Plan.Spec.Bytes);
                        task.Description = Markup.Escape($"import {jobId[..Math.Min(8, jobId.Length)]}: planned {s.Plan.Chunks.Count} chunks");
                    },
                }, new Reporter(p =>
                {
                    task.Value = p.BytesCommitted;
                    task.Description = Markup.Escape(ClusterCli.Describe(p));
                }), cancellationToken);
            });
    }

    /// <summary>Warns when no worker will convert the chunks; says where the job runs unless the output is JSON.</summary>
    private static void Announce(ImportJobSubmitted submitted, TlcOptions settings, bool json)
    {
        if (submitted.LocalWorkers == 0 && submitted.RegisteredWorkers == 0)
        {
            Console.Error.WriteLine($"tlc: warning: no worker is registered with the cluster; the import waits until one starts (tlc worker --root {settings.RootUrl}).");
        }
        if (!json)
        {
            Console.WriteLine($"Import job {submitted.Job.Id}: {submitted.Plan.Chunks.Count} chunks, {submitted.Plan.Spec.Bytes:N0} bytes; " +
                $"{submitted.LocalWorkers} worker(s) in this process, {submitted.RegisteredWorkers} registered.");
        }
    }

    /// <summary>Reports synchronously on the polling thread.</summary>
    private sealed class Reporter(Action<JobProgress> report) : IProgress<JobProgress>
    {
        public void Report(JobProgress value) => report(value);
    }
}
