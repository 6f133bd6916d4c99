using System.CommandLine;
using Tlc.Silo.Hosting;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc silo</c>: runs the cluster's server process until Ctrl+C or SIGTERM.</summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var command = new Command("silo",
            "Run a silo until Ctrl+C or SIGTERM: the embedded single-node silo of the root (grain state on local disk; other tlc\n" +
            "processes on the root connect to it), or with cluster.mode azure a member of the configured Azure Storage cluster.\n" +
            "Example: tlc silo --root /data/tlc");
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            if (!settings.Cluster.IsAzure && EmbeddedSilo.FindRunning(settings.RootUrl) is { } running && (running.ProcessId == 0 || running.IsAlive))
            {
                throw new InvalidOperationException(
                    $"A silo already serves {settings.RootUrl} (process {running.ProcessId}, gateway port {running.GatewayPort}); two silos never share a root.");
            }
            return await SiloRunner.RunAsync(settings, Console.Out, ct);
        }));
        return command;
    }
}
