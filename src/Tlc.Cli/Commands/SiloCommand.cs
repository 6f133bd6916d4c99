using System.CommandLine;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc silo</c>: runs the cluster's server process until Ctrl+C or SIGTERM.</summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var dashboard = new Option<bool>("--dashboard")
        {
            Description = "Serve the Orleans dashboard (silos, grains, calls, logs) over HTTP; no authentication, so it listens on\n" +
                "127.0.0.1 unless observability.dashboard_host says otherwise. Default: observability.dashboard of the settings.",
        };
        var dashboardPort = new Option<int?>("--dashboard-port")
        {
            Description = $"The dashboard's port (implies --dashboard). Default: observability.dashboard_port, else {ObservabilitySettings.DefaultDashboardPort}.",
        };
        var otlp = ClusterCli.OtlpEndpoint();
        var metricsConsole = ClusterCli.MetricsConsole();
        var healthPort = ClusterCli.HealthPort();
        var command = new Command("silo",
            "Run a silo until Ctrl+C or SIGTERM: the embedded single-node silo of the root (grain state on local disk; other tlc\n" +
            "processes on the root connect to it), or with cluster.mode azure or redis a member of the configured shared cluster.\n" +
            "Example: tlc silo --root /data/tlc\n" +
            "Example: tlc silo --root /data/tlc --dashboard --dashboard-port 8080 --otlp-endpoint http://localhost:4317")
        {
            dashboard, dashboardPort, otlp, metricsConsole, healthPort,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            ClusterCli.ApplyMetricsExport(settings, parse, otlp, metricsConsole);
            ClusterCli.ApplyHealthPort(settings, parse, healthPort);
            if (parse.GetValue(dashboardPort) is { } port)
            {
                if (port is < 1 or > 65535)
                {
                    throw new UsageException($"--dashboard-port must be a TCP port (1-65535), got {port}.");
                }
                settings.Observability.DashboardPort = port;
                settings.Observability.Dashboard = true;
            }
            if (parse.GetValue(dashboard))
            {
                settings.Observability.Dashboard = true;
            }
            if (!settings.Cluster.IsShared && EmbeddedSilo.FindRunning(settings.RootUrl) is { } running && (running.ProcessId == 0 || running.IsAlive))
            {
                throw new InvalidOperationException(
                    $"A silo already serves {settings.RootUrl} (process {running.ProcessId}, gateway port {running.GatewayPort}); two silos never share a root.");
            }
            return await SiloRunner.RunAsync(settings, Console.Out, ct);
        }));
        return command;
    }
}
