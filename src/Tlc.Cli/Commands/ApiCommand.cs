using System.CommandLine;
using Tlc.Api.Hosting;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc api</c>: serves the training API (ranks' metrics tables and logs over HTTP) until Ctrl+C or SIGTERM.</summary>
internal static class ApiCommand
{
    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "The address to listen on; any other than loopback requires a token.", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "The port (0: a free one).", DefaultValueFactory = _ => TrainingApiOptions.DefaultPort };
        var token = new Option<string?>("--token") { Description = "The bearer token requests must carry (default: TLC_API_TOKEN; made up and printed when bound off loopback without one)." };
        var command = new Command("api",
            "Serve the training API until Ctrl+C or SIGTERM: trainers in any language (e.g. PyTorch DDP ranks with clients/python/tlc_client.py)\n" +
            "open their rank's share of a run's metrics table per stream and epoch, append rows (JSON or binary columns), close it, and log\n" +
            "aggregates; a table is published once every rank closed its share. It joins the cluster like any client (the root's silo,\n" +
            "started if none runs).\n" +
            "Example: tlc api --root /data/tlc --port 8765")
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
                Token = parse.GetValue(token) ?? Environment.GetEnvironmentVariable("TLC_API_TOKEN"),
            }, cancellationToken: ct);
            await Console.Out.WriteLineAsync($"Training API at {api.Url}{(api.Token is null ? "" : $" (token: {api.Token})")}");
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
