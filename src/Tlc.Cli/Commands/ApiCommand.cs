using System.CommandLine;
using Tlc.Api.Hosting;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc api</c> and <c>tlc dashboard</c>: one HTTP host on the root's cluster — the training API (ranks' metrics tables
/// and logs), the dashboard's read API and the dashboard page — served until Ctrl+C or SIGTERM; the two verbs differ only in
/// what they print.
/// </summary>
internal static class ApiCommand
{
    public static Command Create() => Create("api",
        "Serve the training API until Ctrl+C or SIGTERM: trainers in any language (e.g. PyTorch DDP ranks with clients/python/tlc_client.py)\n" +
        "open their rank's share of a run's metrics table per stream and epoch, append rows (JSON or binary columns), close it, and log\n" +
        "aggregates; a table is published once every rank closed its share. It joins the cluster like any client (the root's silo,\n" +
        "started if none runs).\n" +
        "Example: tlc api --root /data/tlc --port 8765",
        (url, token) => $"Training API at {url}{(token is null ? "" : $" (token: {token})")}");

    public static Command CreateDashboard() => Create("dashboard",
        "Serve the dashboard for the root until Ctrl+C or SIGTERM and print its URL: browse projects, tables and runs, scroll, sort and\n" +
        "filter a table's rows, brush a histogram, select points of an embedding scatter, compare epochs, open a sample with its\n" +
        "annotations, edit the selection into a revision, follow jobs. It joins the cluster like any client (the root's silo,\n" +
        "started if none runs). Loopback by default; bound to another address the URL carries a token (--token, TLC_API_TOKEN, or made up).\n" +
        "Example: tlc dashboard --root /data/tlc --port 8765",
        (url, token) => $"Dashboard at {url}/{(token is null ? "" : $"?token={token}")}");

    private static Command Create(string name, string description, Func<string, string?, string> banner)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on; any other than loopback requires a token.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port (0: a free one).", DefaultValueFactory = _ => TrainingApiOptions.DefaultPort };
        var token = new Option<string?>("--token") { Description = "The bearer token requests must carry (default: TLC_API_TOKEN; made up and printed when bound off loopback without one)." };
        var command = new Command(name, description)
        {
            host, port, token,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                throw new UsageException("--port must be 0..65535.");
            }
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            await using var api = await TrainingApiHost.StartAsync(connection.Context, new TrainingApiOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TrainingApiOptions.TokenVariable),
            }, cancellationToken: ct);
            await Console.Out.WriteLineAsync(banner(api.Url, api.Token));
            await Console.Out.FlushAsync(ct);
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }
            return CliRunner.Ok;
        }));
        return command;
    }
}
