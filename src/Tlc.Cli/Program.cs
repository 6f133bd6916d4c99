using System.CommandLine;
using System.Runtime.InteropServices;
using Tlc.Cli.Commands;

namespace Tlc.Cli;

/// <summary>The <c>tlc</c> command line.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the exit code (0 success, 1 failure, 2 usage error).</summary>
    public static async Task<int> Main(string[] args)
    {
        Tlc.Metrics.TorchRuntime.PreferPassiveWaiting(); // before libtorch loads
        Tlc.Metrics.TorchRuntime.KeepTensorMemory();
        var root = BuildRoot();
        using var cancel = new CancellationTokenSource();
        // The first Ctrl+C or SIGTERM asks the command to stop (a worker drains, a silo shuts down, a collect cancels its
        // job); a second one ends the process at once.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancel.IsCancellationRequested;
            Stop(cancel);
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = !cancel.IsCancellationRequested;
            Stop(cancel);
        });
        var parse = root.Parse(args);
        // A completion request ([suggest:N] "line") describes a command line being typed: its errors are expected.
        var suggesting = args.Length > 0 && args[0].StartsWith("[suggest", StringComparison.Ordinal);
        if (parse.Errors.Count > 0 && !suggesting)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"tlc: {error.Message}").ConfigureAwait(false);
            }
            await Console.Error.WriteLineAsync("Run 'tlc --help' for usage.").ConfigureAwait(false);
            return CliRunner.Usage;
        }
        // Signals are handled above (System.CommandLine's own handling would end the process 2 s after Ctrl+C, cutting a
        // worker's drain or a silo's shutdown short).
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }, cancel.Token).ConfigureAwait(false);
    }

    /// <summary>Asks the running command to stop; a signal that arrives while the process ends finds nothing to stop.</summary>
    private static void Stop(CancellationTokenSource cancel)
    {
        try
        {
            cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>The command tree.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("tlc — inspect and improve ML training data sample by sample (Tables, Runs, metrics tables).")
        {
            CliContext.Root,
            CliContext.Config,
            CliContext.Verbose,
        };
        root.Add(DemoCommand.Create());
        root.Add(ImportCommand.Create());
        root.Add(JobCommands.Imports());
        root.Add(TablesCommand.Create());
        root.Add(TableCommands.Create());
        root.Add(ExportCommand.Create());
        root.Add(SiloCommand.Create());
        root.Add(WorkerCommand.Create());
        root.Add(ApiCommand.Create());
        root.Add(ApiCommand.CreateDashboard());
        root.Add(CollectCommand.Create());
        root.Add(GcCommand.Create());
        root.Add(ConfigCommand.Create());
        root.Add(AliasCommand.Create());
        root.Add(RunCommands.Runs());
        root.Add(RunCommands.Run());
        root.Add(JobCommands.Jobs());
        root.Add(JobCommands.Job());
        root.Add(CompletionCommand.Create());
        return root;
    }
}
