using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tlc.Cluster;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc imports</c> and <c>tlc import show|cancel|retry ID</c>: the cluster's import jobs.</summary>
internal static class ImportJobCommands
{
    public static Command Imports()
    {
        var command = new Command("imports", "List the cluster's import jobs, newest first, with status and progress.\nExample: tlc imports --json")
        {
            CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var jobs = await ImportJob.ListAsync(connection.Context, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new JsonArray([.. jobs.Select(j => (JsonNode?)Progress(j))]));
                return CliRunner.Ok;
            }
            if (jobs.Count == 0)
            {
                Console.WriteLine("No import jobs. Start one with: tlc import csv <file> --cluster");
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumns("job", "status", "chunks", "rows", "rows/s", "errors", "submitted");
            foreach (var j in jobs)
            {
                grid.AddRow(j.JobId, ClusterCli.Name(j.Status), $"{j.ChunksCommitted}/{j.Chunks}", ClusterCli.Number(j.RowsCommitted), ClusterCli.Number(j.RowsPerSecond),
                    j.Errors.Length.ToString(CultureInfo.InvariantCulture), j.Submitted.ToString("u", CultureInfo.InvariantCulture));
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }

    /// <summary>Adds <c>show</c>, <c>cancel</c> and <c>retry</c> to <c>tlc import</c>.</summary>
    public static void AddTo(Command import)
    {
        import.Add(Verb("show", "Show an import job: status, progress, errors, source and table.\nExample: tlc import show 3fa2c1 --json", job => job.GetProgressAsync()));
        import.Add(Verb("cancel", "Cancel an import job: nothing is published, its staged chunks are deleted.\nExample: tlc import cancel 3fa2c1", job => job.CancelAsync()));
        import.Add(Verb("retry", "Retry a failed import job: chunks whose attempts ran out are converted again.\nExample: tlc import retry 3fa2c1", job => job.RetryAsync()));
    }

    private static Command Verb(string name, string description, Func<ImportJob, Task<ImportProgress>> act)
    {
        var id = new Argument<string>("id") { Description = "The import job id, or a unique prefix of it (see tlc imports)." };
        var command = new Command(name, description) { id, CliContext.Json };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var job = await FindAsync(connection.Context, parse.GetValue(id)!, ct);
            var progress = await act(job).WaitAsync(ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(Progress(progress));
                return CliRunner.Ok;
            }
            Console.WriteLine(ImportClusterCommand.Describe(progress));
            if (progress.TableUrl is { } table)
            {
                Console.WriteLine($"table: {table}");
            }
            if (progress.QuarantineTableUrl is { } quarantine)
            {
                Console.WriteLine($"quarantine: {quarantine} ({progress.RowsQuarantined:N0} rows)");
            }
            foreach (var error in progress.Errors)
            {
                Console.WriteLine($"error: {error}");
            }
            return CliRunner.Ok;
        }));
        return command;
    }

    private static JsonObject Progress(ImportProgress p) => new()
    {
        ["id"] = p.JobId,
        ["status"] = ClusterCli.Name(p.Status),
        ["chunks"] = p.Chunks,
        ["chunks_committed"] = p.ChunksCommitted,
        ["chunks_leased"] = p.ChunksLeased,
        ["rows_committed"] = p.RowsCommitted,
        ["bytes"] = p.Bytes,
        ["bytes_committed"] = p.BytesCommitted,
        ["rows_per_second"] = Math.Round(p.RowsPerSecond, 1),
        ["eta_seconds"] = p.Eta is { } eta ? Math.Round(eta.TotalSeconds, 1) : null,
        ["table_url"] = p.TableUrl,
        ["quarantine_table_url"] = p.QuarantineTableUrl,
        ["rows_quarantined"] = p.RowsQuarantined,
        ["lease_expirations"] = p.LeaseExpirations,
        ["retries"] = p.Retries,
        ["submitted"] = p.Submitted.ToString("O", CultureInfo.InvariantCulture),
        ["finished"] = p.Finished?.ToString("O", CultureInfo.InvariantCulture),
        ["errors"] = new JsonArray([.. p.Errors.Select(e => (JsonNode?)JsonValue.Create(e))]),
    };

    private static async Task<ImportJob> FindAsync(ClusterContext context, string id, CancellationToken ct)
    {
        var all = await context.Client.GetGrain<IJobQueueGrain>(JobQueueKeys.Imports).GetAllAsync().WaitAsync(ct);
        var matches = all.Contains(id, StringComparer.Ordinal) ? [id] : all.Where(j => j.StartsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => await ImportJob.AttachAsync(context, matches[0], ct),
            0 => throw new KeyNotFoundException($"No import job '{id}' (list them with: tlc imports)."),
            _ => throw new UsageException($"'{id}' is the start of {matches.Count} import job ids ({string.Join(", ", matches.Take(3))}{(matches.Count > 3 ? ", …" : "")}): give more of it."),
        };
    }
}
