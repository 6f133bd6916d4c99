using System.CommandLine;
using System.Text.Json.Nodes;
using Tlc.Cluster;
using Tlc.Tables.Storage;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc gc</c>: removes chunk files no table references (staged chunks of failed or cancelled jobs, lost attempts) and bulk
/// data no table references (images saved by writes that never published).
/// </summary>
internal static class GcCommand
{
    public static Command Create()
    {
        var minAge = new Option<double>("--min-age-hours")
        {
            Description = "Keep unreferenced files younger than this many hours (a job may be about to publish them).",
            DefaultValueFactory = _ => 24,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed." };
        var command = new Command("gc", "Remove chunk files no table references: staged chunks of failed, cancelled or abandoned import and metrics jobs, " +
            "sidecars and dense edit chunks of revisions that were never published, " +
            "and bulk data (images saved under <dataset>/bulk_data/) no table references, left by writes that never published. " +
            "Published tables are never touched; folders of running jobs (and their tables' bulk data) are skipped.\nExample: tlc gc --min-age-hours 1 --dry-run")
        {
            minAge, dryRun, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var hours = parse.GetValue(minAge);
            if (!(hours >= 0))
            {
                throw new UsageException("--min-age-hours must not be negative.");
            }
            var active = await ActiveFoldersAsync(settings, ct);
            var report = await GarbageCollector.CollectAsync(settings.RootUrl, CliContext.Adapters, TimeSpan.FromHours(hours), active, parse.GetValue(dryRun),
                DateTimeOffset.UtcNow, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonObject
                {
                    ["object_files"] = report.ObjectFiles,
                    ["chunk_files"] = report.ChunkFiles,
                    ["removed"] = new JsonArray(report.Removed.Select(u => (JsonNode?)JsonValue.Create(u.Value)).ToArray()),
                    ["removed_bytes"] = report.RemovedBytes,
                    ["kept_unreferenced"] = report.Kept.Count,
                    ["bulk_files"] = report.BulkFiles,
                    ["removed_bulk"] = new JsonArray(report.RemovedBulk.Select(u => (JsonNode?)JsonValue.Create(u.Value)).ToArray()),
                    ["removed_bulk_bytes"] = report.RemovedBulkBytes,
                    ["kept_bulk"] = report.KeptBulk.Count,
                    ["removed_bulk_folders"] = report.RemovedBulkFolders,
                    ["dry_run"] = parse.GetValue(dryRun),
                });
                return CliRunner.Ok;
            }
            foreach (var url in report.Removed.Concat(report.RemovedBulk))
            {
                Console.WriteLine($"{(parse.GetValue(dryRun) ? "would remove" : "removed")} {url}");
            }
            Console.WriteLine($"{report.Removed.Count} unreferenced chunk file(s), {report.RemovedBytes:N0} bytes {(parse.GetValue(dryRun) ? "would be removed" : "removed")}; " +
                $"{report.Kept.Count} kept (young or in a running job's folder); {report.ObjectFiles} object file(s), {report.ChunkFiles} chunk file(s) seen.");
            Console.WriteLine($"{report.RemovedBulk.Count} unreferenced bulk data file(s), {report.RemovedBulkBytes:N0} bytes {(parse.GetValue(dryRun) ? "would be removed" : "removed")}" +
                $"{(report.RemovedBulkFolders > 0 ? $" with {report.RemovedBulkFolders} emptied folder(s)" : "")}; {report.KeptBulk.Count} kept unchecked " +
                $"(young, a running job's table, or a dataset with unreadable files); {report.BulkFiles} bulk data file(s) seen.");
            return CliRunner.Ok;
        }));
        return command;
    }

    /// <summary>
    /// The output folders of jobs still running, when a cluster answers (none is started for this); the collector also
    /// spares the bulk data folders of these tables.
    /// </summary>
    private static async Task<IReadOnlyCollection<Url>> ActiveFoldersAsync(Tlc.Tables.Configuration.TlcOptions settings, CancellationToken cancellationToken)
    {
        ClusterConnection connection;
        try
        {
            connection = await ClusterConnection.ConnectAsync(settings, startSiloIfNone: false, cancellationToken);
        }
        catch (NoSiloException)
        {
            return [];
        }
        await using (connection)
        {
            var context = connection.Context;
            var folders = new List<Url>();
            // Every job that has not ended (of any kind, streams written by training scripts included) may still add files.
            foreach (var job in (await JobHandle.ListAsync(context, cancellationToken: cancellationToken)).Where(j => !j.IsFinished))
            {
                switch (await context.Client.GetGrain<IJobGrain>(job.JobId).GetSpecAsync().WaitAsync(cancellationToken))
                {
                    case ImportJobSpec spec:
                        folders.Add(new Url(spec.TableUrl));
                        folders.Add(Tlc.Tables.Import.Jobs.ImportJobs.QuarantineUrl(spec));
                        break;
                    case MetricsTableSpec spec:
                        folders.Add(new Url(spec.MetricsTableUrl));
                        break;
                }
            }
            return folders;
        }
    }
}
