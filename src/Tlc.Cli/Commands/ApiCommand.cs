using System.CommandLine;
using Tlc.Api.Hosting;
using Tlc.Tables.Configuration;

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
        (url, token) => $"Training API at {url}{(token ? " (requests need 'Authorization: Bearer <token>')" : "")}");

    public static Command CreateDashboard() => Create("dashboard",
        "Serve the dashboard for the root until Ctrl+C or SIGTERM and print its URL: browse projects, tables and runs, scroll, sort and\n" +
        "filter a table's rows, brush a histogram, select points of an embedding scatter, compare epochs, open a sample with its\n" +
        "annotations, edit the selection into a revision, follow jobs. It joins the cluster like any client (the root's silo,\n" +
        "started if none runs). Loopback by default; bound to another address it needs a token (security.api_token, TLC_API_TOKEN or\n" +
        "--token-file FILE), which the browser presents once as /?token=<token>.\n" +
        "Example: tlc dashboard --root /data/tlc --port 8765",
        (url, token) => $"Dashboard at {url}/{(token ? $" (open {url}/?token=<token> once: the token is never printed)" : "")}");

    private static Command Create(string name, string description, Func<string, bool, string> banner)
    {
        var host = new Option<string>("--host") { Description = "The address to listen on; any other than loopback requires a token.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port (0: a free one).", DefaultValueFactory = _ => TrainingApiOptions.DefaultPort };
        var token = new Option<string?>("--token") { Description = "The bearer token requests must carry (default: security.api_token, TLC_API_TOKEN; prefer --token-file: a command line is visible to other users)." };
        var tokenFile = new Option<string?>("--token-file") { Description = "A file holding the bearer token (default: security.api_token_file)." };
        var command = new Command(name, description)
        {
            host, port, token, tokenFile,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var overrides = new List<KeyValuePair<string, string?>>();
            if (parse.GetValue(token) is { } given)
            {
                overrides.Add(new("security:api_token", given));
            }
            if (parse.GetValue(tokenFile) is { } file)
            {
                overrides.Add(new("security:api_token_file", file));
                overrides.Add(new("security:api_token", null));
            }
            var settings = CliContext.Settings(parse, overrides);
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                throw new UsageException("--port must be 0..65535.");
            }
            var options = new TrainingApiOptions
            {
                Host = parse.GetValue(host)!,
                Port = parse.GetValue(port),
                Token = settings.Security.ApiToken,
            };
            TrainingApiHost.CheckToken(options); // before connecting: no cluster work for a host that will not serve
            await using var connection = await ClusterCli.ConnectAsync(settings, ct);
            // Off loopback the host acts on URLs sent from other machines: file URLs only inside the root, the aliases and
            // security.file_roots. On loopback its callers are this machine's user (as for an embedded cluster's workers): the
            // images a table keeps by URL (a COCO import) are served wherever they are, unless security.restrict_file_urls.
            if (!System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(options.Host)) || settings.Security.RestrictFileUrls)
            {
                TlcConfiguration.RestrictFiles(settings, connection.Adapters);
            }
            await using var api = await TrainingApiHost.StartAsync(connection.Context, options, cancellationToken: ct);
            await Console.Out.WriteLineAsync(banner(api.Url, api.Token is not null));
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
