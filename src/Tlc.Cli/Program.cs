using System.CommandLine;
using Tlc.Cli.Commands;

namespace Tlc.Cli;

/// <summary>The <c>tlc</c> command line.</summary>
public static class Program
{
    /// <summary>Runs the command line; returns the exit code (0 success, 1 failure, 2 usage error).</summary>
    public static async Task<int> Main(string[] args)
    {
        var root = BuildRoot();
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                await Console.Error.WriteLineAsync($"tlc: {error.Message}").ConfigureAwait(false);
            }
            await Console.Error.WriteLineAsync("Run 'tlc --help' for usage.").ConfigureAwait(false);
            return CliRunner.Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration(), cancel.Token).ConfigureAwait(false);
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
        root.Add(TablesCommand.Create());
        root.Add(TableCommands.Create());
        root.Add(ExportCommand.Create());
        return root;
    }
}
