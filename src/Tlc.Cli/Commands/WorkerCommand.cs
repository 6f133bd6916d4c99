using System.CommandLine;
using System.Text.RegularExpressions;
using Tlc.Workers;

namespace Tlc.Cli.Commands;

/// <summary><c>tlc worker</c>: a worker process computing metrics shards until Ctrl+C or SIGTERM (then it drains).</summary>
internal static partial class WorkerCommand
{
    public static Command Create()
    {
        var plugins = ClusterCli.Plugins();
        var threads = new Option<int?>("--threads") { Description = "Threads libtorch uses per forward pass (default: the processor count)." };
        var decodeThreads = new Option<int?>("--decode-threads") { Description = "Threads decoding and preprocessing samples (default: the processor count)." };
        var device = new Option<string>("--device")
        {
            Description = "Where models run: cpu, cuda, cuda:N or auto (CUDA when available, else the CPU). Overrides the device of job specs.",
            DefaultValueFactory = _ => "auto",
        };
        var id = new Option<string?>("--id") { Description = "The worker id shown in logs and the worker registry (default: host name and process id)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Metrics shards computed at once (they share the model).", DefaultValueFactory = _ => Tlc.Workers.WorkerOptions.DefaultConcurrentShards };
        var poll = new Option<double>("--poll-interval") { Description = "Seconds between asking for work when idle.", DefaultValueFactory = _ => 1.0 };
        var drain = new Option<double>("--drain-timeout")
        {
            Description = "Seconds a stop request waits for the current shards before dropping them (their leases then expire).",
            DefaultValueFactory = _ => 300.0,
        };
        var otlp = ClusterCli.OtlpEndpoint();
        var metricsConsole = ClusterCli.MetricsConsole();
        var healthPort = ClusterCli.HealthPort();
        var command = new Command("worker",
            "Run a worker until Ctrl+C or SIGTERM: it joins the cluster (the root's running silo, or the configured azure/redis cluster; it never\n" +
            "starts a silo), leases metrics shards, computes them and commits the results, logging one line per shard. A stop request\n" +
            "drains it: current shards finish, no new ones are taken, and it exits with 0.\n" +
            "Example: tlc worker --root /data/tlc --plugins ./my-models --threads 2 --device auto --id gpu-box-1")
        {
            plugins, threads, decodeThreads, device, id, concurrency, poll, drain, otlp, metricsConsole, healthPort,
        };
        command.SetAction(CliRunner.Wrap(async (parse, ct) =>
        {
            var settings = CliContext.Settings(parse);
            ClusterCli.ApplyMetricsExport(settings, parse, otlp, metricsConsole);
            ClusterCli.ApplyHealthPort(settings, parse, healthPort);
            if (parse.GetValue(threads) is < 1 || parse.GetValue(decodeThreads) is < 1)
            {
                throw new UsageException("--threads and --decode-threads must be at least 1.");
            }
            if (parse.GetValue(concurrency) < 1)
            {
                throw new UsageException("--concurrency must be at least 1.");
            }
            if (!(parse.GetValue(poll) > 0) || !(parse.GetValue(drain) >= 0))
            {
                throw new UsageException("--poll-interval must be positive and --drain-timeout not negative.");
            }
            var deviceName = parse.GetValue(device)!;
            if (!DevicePattern().IsMatch(deviceName))
            {
                throw new UsageException($"Unknown device '{deviceName}': use cpu, cuda, cuda:N or auto.");
            }
            return await WorkerProcess.RunAsync(settings, new WorkerProcessOptions
            {
                PluginFolders = parse.GetValue(plugins) ?? [],
                TorchThreads = parse.GetValue(threads),
                DecodeThreads = parse.GetValue(decodeThreads),
                Device = deviceName,
                WorkerId = parse.GetValue(id),
                ConcurrentShards = parse.GetValue(concurrency),
                PollInterval = TimeSpan.FromSeconds(parse.GetValue(poll)),
                DrainTimeout = TimeSpan.FromSeconds(parse.GetValue(drain)),
            }, Console.Out, ct);
        }));
        return command;
    }

    [GeneratedRegex("^(cpu|auto|cuda|cuda:[0-9]+)$", RegexOptions.IgnoreCase)]
    private static partial Regex DevicePattern();
}
