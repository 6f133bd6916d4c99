using System.CommandLine;
using Spectre.Console;
using Tlc.Cluster;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc jobs</c> and <c>tlc job show|cancel|retry ID</c>: the cluster's metrics jobs.</summary>
internal static class JobCommands
{
    public static Command Jobs()
    {
        var command = new Command("jobs", "List the cluster's metrics jobs, newest first, with status and progress.\nExample: tlc jobs --json")
        {
            CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var jobs = await MetricsJob.ListAsync(connection.Context, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new System.Text.Json.Nodes.JsonArray([.. jobs.Select(j => (System.Text.Json.Nodes.JsonNode?)ClusterCli.Progress(j))]));
                return CliRunner.Ok;
            }
            if (jobs.Count == 0)
            {
                Console.WriteLine("No metrics jobs. Submit one with: tlc collect");
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumns("job", "status", "run", "shards", "rows", "rows/s", "submitted");
            foreach (var j in jobs)
            {
                grid.AddRow(j.JobId, ClusterCli.Name(j.Status), Markup.Escape(j.RunKey), $"{j.ShardsCommitted}/{j.Shards}" + (j.ShardsFailed > 0 ? $" ({j.ShardsFailed} failed)" : ""),
                    $"{ClusterCli.Number(j.RowsCommitted)}/{ClusterCli.Number(j.Rows)}", ClusterCli.Number(j.RowsPerSecond), j.Submitted.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }

    public static Command Job()
    {
        var job = new Command("job", "Show, cancel or retry one metrics job (by id, or a unique prefix of it).");
        job.Add(Show());
        job.Add(Cancel());
        job.Add(Retry());
        return job;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The job id, or a unique prefix of it (see tlc jobs)." };

    private static Command Show()
    {
        var id = IdArgument();
        var command = new Command("show", "Show a job: status, progress, errors, and what it computes (table, model, collectors).\nExample: tlc job show 3fa2c1 --json")
        {
            id, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var job = await FindAsync(connection.Context, parse.GetValue(id)!, ct);
            var progress = await job.GetProgressAsync(ct);
            var spec = await job.GetSpecAsync(ct);
            if (parse.GetValue(CliContext.Json))
            {
                var json = ClusterCli.Progress(progress);
                json["spec"] = ClusterCli.Spec(spec);
                JsonOutput.Write(json);
                return CliRunner.Ok;
            }
            Print(progress);
            Console.WriteLine($"table: {spec.TableUrl} ({spec.TableRows:N0} rows)");
            Console.WriteLine($"model: {Metrics.ModelRegistry.Describe(spec.Model)}{(spec.Model.ArgumentsJson is { } a ? $" {a}" : "")}");
            Console.WriteLine($"collectors: {string.Join(", ", spec.Collectors.Select(c => c.ArgumentsJson is null ? c.Name : $"{c.Name} {c.ArgumentsJson}"))}");
            return CliRunner.Ok;
        }));
        return command;
    }

    private static Command Cancel()
    {
        var id = IdArgument();
        var command = new Command("cancel", "Cancel a pending or running job: no more leases, nothing is published.\nExample: tlc job cancel 3fa2c1")
        {
            id, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var job = await FindAsync(connection.Context, parse.GetValue(id)!, ct);
            var before = await job.GetProgressAsync(ct);
            if (before.IsFinished)
            {
                throw new InvalidOperationException($"Job {job.Id} is already {ClusterCli.Name(before.Status)}; only a pending or running job can be cancelled.");
            }
            var after = await job.CancelAsync(ct);
            Report(parse, after);
            return CliRunner.Ok;
        }));
        return command;
    }

    private static Command Retry()
    {
        var id = IdArgument();
        var command = new Command("retry", "Retry a failed job: its failed shards run again (committed ones are kept).\nExample: tlc job retry 3fa2c1")
        {
            id, CliContext.Json,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var job = await FindAsync(connection.Context, parse.GetValue(id)!, ct);
            var before = await job.GetProgressAsync(ct);
            if (before.Status != JobStatus.Failed)
            {
                throw new InvalidOperationException($"Job {job.Id} is {ClusterCli.Name(before.Status)}; only a failed job can be retried.");
            }
            var after = await job.RetryAsync(ct);
            Report(parse, after);
            return CliRunner.Ok;
        }));
        return command;
    }

    private static void Report(ParseResult parse, JobProgress progress)
    {
        if (parse.GetValue(CliContext.Json))
        {
            JsonOutput.Write(ClusterCli.Progress(progress));
            return;
        }
        Print(progress);
    }

    private static void Print(JobProgress p)
    {
        Console.WriteLine($"Job {p.JobId}: {ClusterCli.Name(p.Status)}, run {p.RunKey}");
        Console.WriteLine($"shards: {p.ShardsCommitted}/{p.Shards} committed, {p.ShardsLeased} leased, {p.ShardsFailed} failed; " +
            $"rows: {ClusterCli.Number(p.RowsCommitted)}/{ClusterCli.Number(p.Rows)}; {ClusterCli.Number(p.RowsPerSecond)} rows/s; ETA {ClusterCli.Duration(p.Eta)}; " +
            $"{p.Retries} retries, {p.LeaseExpirations} expired leases");
        if (p.MetricsTableUrl is { } url)
        {
            Console.WriteLine($"metrics table: {url}");
        }
        foreach (var error in p.Errors)
        {
            Console.WriteLine($"error: {error}");
        }
    }

    /// <summary>The job of an id or a unique prefix of one.</summary>
    private static async Task<MetricsJob> FindAsync(ClusterContext context, string id, CancellationToken ct)
    {
        var all = await context.Client.GetGrain<IJobQueueGrain>("default").GetAllAsync().WaitAsync(ct);
        if (all.Contains(id, StringComparer.Ordinal))
        {
            return await MetricsJob.AttachAsync(context, id, ct);
        }
        var matches = all.Where(j => j.StartsWith(id, StringComparison.OrdinalIgnoreCase)).ToList();
        return matches.Count switch
        {
            1 => await MetricsJob.AttachAsync(context, matches[0], ct),
            0 => throw new KeyNotFoundException($"No metrics job '{id}' (list them with: tlc jobs)."),
            _ => throw new UsageException($"'{id}' is the start of {matches.Count} job ids ({string.Join(", ", matches.Take(3))}{(matches.Count > 3 ? ", …" : "")}): give more of it."),
        };
    }
}
