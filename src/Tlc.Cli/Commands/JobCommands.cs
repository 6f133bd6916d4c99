using System.CommandLine;
using Spectre.Console;
using Tlc.Cluster;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc jobs</c> and <c>tlc job show|cancel|retry ID</c>: the cluster's jobs of every kind (metrics, import, stream),
/// written once. <c>tlc imports</c> and <c>tlc import show|cancel|retry</c> are the same verbs for import jobs only.
/// </summary>
internal static class JobCommands
{
    private static readonly Option<string?> KindOption = new("--kind")
    {
        Description = "Only jobs of this kind: metrics, import or stream.",
    };

    public static Command Jobs() => List("jobs", "List the cluster's jobs of every kind, newest first, with kind, status and progress.\nExample: tlc jobs --kind import --json", kind: null);

    /// <summary><c>tlc imports</c>: <c>tlc jobs --kind import</c>.</summary>
    public static Command Imports() => List("imports", "List the cluster's import jobs, newest first (tlc jobs --kind import).\nExample: tlc imports --json", JobKinds.Import);

    public static Command Job()
    {
        var job = new Command("job", "Show, cancel or retry one job of any kind (by id, or a unique prefix of it).");
        foreach (var verb in Verbs(kind: null))
        {
            job.Add(verb);
        }
        return job;
    }

    /// <summary>Adds <c>show</c>, <c>cancel</c> and <c>retry</c> for import jobs to <c>tlc import</c>.</summary>
    public static void AddImportVerbs(Command import)
    {
        foreach (var verb in Verbs(JobKinds.Import))
        {
            import.Add(verb);
        }
    }

    private static Command List(string name, string description, string? kind)
    {
        var command = new Command(name, description) { CliContext.Json };
        if (kind is null)
        {
            command.Add(KindOption);
        }
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            var only = kind ?? parse.GetValue(KindOption);
            if (only is not null && only is not (JobKinds.Metrics or JobKinds.Import or JobKinds.Stream))
            {
                throw new UsageException($"--kind must be metrics, import or stream, not '{only}'.");
            }
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            var jobs = await JobHandle.ListAsync(connection.Context, only, ct);
            if (parse.GetValue(CliContext.Json))
            {
                JsonOutput.Write(new System.Text.Json.Nodes.JsonArray([.. jobs.Select(j => (System.Text.Json.Nodes.JsonNode?)ClusterCli.Progress(j))]));
                return CliRunner.Ok;
            }
            if (jobs.Count == 0)
            {
                Console.WriteLine(only == JobKinds.Import ? "No import jobs. Start one with: tlc import csv <file> --cluster"
                    : $"No {(only is null ? "" : only + " ")}jobs. Submit one with: tlc collect, or tlc import … --cluster");
                return CliRunner.Ok;
            }
            var grid = new Spectre.Console.Table().AddColumns("job", "kind", "status", "of", "items", "rows", "rows/s", "submitted");
            foreach (var j in jobs)
            {
                grid.AddRow(j.JobId, j.Kind, ClusterCli.Name(j.Status), Markup.Escape(j.Run ?? j.Description),
                    $"{j.ItemsCommitted}/{j.Items} {j.ItemNoun}s" + (j.ItemsFailed > 0 ? $" ({j.ItemsFailed} failed)" : "") + Waiting(j),
                    j.Rows > 0 ? $"{ClusterCli.Number(j.RowsCommitted)}/{ClusterCli.Number(j.Rows)}" : ClusterCli.Number(j.RowsCommitted),
                    ClusterCli.Number(j.RowsPerSecond), j.Submitted.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }
            CliRunner.Console2.Write(grid);
            return CliRunner.Ok;
        }));
        return command;
    }

    private static IEnumerable<Command> Verbs(string? kind)
    {
        var what = kind is null ? "a job" : $"an {kind} job";
        var example = kind is null ? "tlc job" : $"tlc {kind}";
        yield return Verb("show", $"Show {what}: status, progress, errors, what it does, and its history of attempts that did not commit\n" +
            $"(expired leases of workers that died or stalled, failures).\nExample: {example} show 3fa2c1 --json", kind, async (job, ct) =>
            (await job.GetProgressAsync(ct), await job.GetSpecAsync(ct), await job.GetHistoryAsync(cancellationToken: ct)));
        yield return Verb("cancel", $"Cancel {what}: no more leases, nothing is published, what it staged is deleted.\nExample: {example} cancel 3fa2c1", kind, async (job, ct) =>
        {
            var before = await job.GetProgressAsync(ct);
            if (before.IsFinished)
            {
                throw new InvalidOperationException($"Job {job.Id} is already {ClusterCli.Name(before.Status)}; only a job that has not ended can be cancelled.");
            }
            return (await job.CancelAsync(ct), null, null);
        });
        yield return Verb("retry", $"Retry {what} that failed: its failed items run again (committed ones are kept).\nExample: {example} retry 3fa2c1", kind, async (job, ct) =>
        {
            var before = await job.GetProgressAsync(ct);
            if (before.Status != JobStatus.Failed)
            {
                throw new InvalidOperationException($"Job {job.Id} is {ClusterCli.Name(before.Status)}; only a failed job can be retried.");
            }
            var after = await job.RetryAsync(ct);
            if (after.Status == JobStatus.Failed)
            {
                throw new InvalidOperationException($"Job {job.Id} cannot be retried: {string.Join("; ", after.Errors.Take(3))}");
            }
            return (after, null, null);
        });
    }

    private static Command Verb(string name, string description, string? kind, Func<JobHandle, CancellationToken, Task<(JobProgress Progress, JobSpec? Spec, string[]? History)>> act)
    {
        var id = new Argument<string>("id") { Description = $"The {(kind is null ? "" : kind + " ")}job id, or a unique prefix of it (see tlc {(kind is null ? "jobs" : "imports")})." };
        var command = new Command(name, description) { id, CliContext.Json };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            JobHandle job;
            try
            {
                job = await JobHandle.FindAsync(connection.Context, parse.GetValue(id)!, kind, ct);
            }
            catch (AmbiguousJobIdException e)
            {
                throw new UsageException(e.Message);
            }
            var (progress, spec, history) = await act(job, ct);
            if (parse.GetValue(CliContext.Json))
            {
                var json = ClusterCli.Progress(progress);
                if (spec is not null)
                {
                    json["spec"] = ClusterCli.Spec(spec);
                }
                if (history is not null)
                {
                    json["history"] = new System.Text.Json.Nodes.JsonArray([.. history.Select(h => (System.Text.Json.Nodes.JsonNode?)h)]);
                }
                JsonOutput.Write(json);
                return CliRunner.Ok;
            }
            Print(progress, spec);
            foreach (var entry in history ?? [])
            {
                Console.WriteLine($"history: {entry}");
            }
            return CliRunner.Ok;
        }));
        return command;
    }

    /// <summary>", waiting for ranks 2, 5" while a job of writers has shares open (e.g. a rank that never came back).</summary>
    private static string Waiting(JobProgress p) => p.Writers > 0 && !p.IsFinished && p.WritersWaiting.Length > 0
        ? $", waiting for {p.WriterNoun}{(p.WritersWaiting.Length > 1 ? "s" : "")} {string.Join(", ", p.WritersWaiting)}{(p.Writers - p.WritersClosed > p.WritersWaiting.Length ? ", …" : "")}"
        : "";

    private static void Print(JobProgress p, JobSpec? spec)
    {
        Console.WriteLine($"Job {p.JobId} ({p.Kind}): {ClusterCli.Name(p.Status)}{(p.Run is { } run ? $", run {run}" : "")}");
        Console.WriteLine($"{p.ItemNoun}s: {p.ItemsCommitted}/{p.Items} committed, {p.ItemsLeased} leased, {p.ItemsFailed} failed; " +
            $"rows: {ClusterCli.Number(p.RowsCommitted)}{(p.Rows > 0 ? "/" + ClusterCli.Number(p.Rows) : "")}; {ClusterCli.Number(p.RowsPerSecond)} rows/s; ETA {ClusterCli.Duration(p.Eta)}; " +
            $"{p.Retries} retries, {p.LeaseExpirations} expired leases");
        if (p.Writers > 0)
        {
            Console.WriteLine($"{p.WriterNoun}s: {p.WritersClosed}/{p.Writers} closed{Waiting(p)}");
        }
        if (p.ResultUrl is { } url)
        {
            Console.WriteLine($"{(p.Kind == JobKinds.Import ? "table" : "metrics table")}: {url}");
        }
        if (p.QuarantineTableUrl is { } quarantine)
        {
            Console.WriteLine($"quarantine: {quarantine} ({p.RowsQuarantined:N0} rows)");
        }
        foreach (var error in p.Errors)
        {
            Console.WriteLine($"error: {error}");
        }
        switch (spec)
        {
            case MetricsJobSpec m:
                Console.WriteLine($"table: {m.TableUrl} ({m.TableRows:N0} rows)");
                Console.WriteLine($"model: {Metrics.ModelRegistry.Describe(m.Model)}{(m.Model.ArgumentsJson is { } a ? $" {a}" : "")}");
                Console.WriteLine($"collectors: {string.Join(", ", m.Collectors.Select(c => c.ArgumentsJson is null ? c.Name : $"{c.Name} {c.ArgumentsJson}"))}");
                break;
            case MetricsStreamSpec s:
                Console.WriteLine($"stream: {s.StreamName} of {s.TableUrl} ({s.TableRows:N0} rows) into {s.MetricsTableUrl}");
                break;
            case ImportJobSpec i:
                Console.WriteLine($"source: {i.Format} {i.SourceUrl} ({i.Bytes:N0} bytes) into {i.TableUrl}");
                break;
        }
    }
}
