using System.CommandLine;
using Spectre.Console;

namespace Tlc.Cli;

/// <summary>Runs a command body: errors become one clear line on stderr (a stack trace only with --verbose).</summary>
internal static class CliRunner
{
    /// <summary>Exit code of success.</summary>
    public const int Ok = 0;

    /// <summary>Exit code of a failed command (bad input, missing table, stale edit, ...).</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command line that does not parse (System.CommandLine's own errors use it too).</summary>
    public const int Usage = 2;

    public static Func<ParseResult, CancellationToken, Task<int>> Wrap(Func<ParseResult, CancellationToken, Task<int>> body) =>
        async (parse, cancellationToken) =>
        {
            try
            {
                return await body(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("tlc: cancelled").ConfigureAwait(false);
                return Failed;
            }
            catch (UsageException e)
            {
                await Console.Error.WriteLineAsync($"tlc: {e.Message}").ConfigureAwait(false);
                return Usage;
            }
            catch (Exception e) when (!parse.GetValue(CliContext.Verbose))
            {
                await Console.Error.WriteLineAsync($"tlc: {Describe(e)}").ConfigureAwait(false);
                return Failed;
            }
            catch (Exception e)
            {
                await Console.Error.WriteLineAsync($"tlc: {Describe(e)}").ConfigureAwait(false);
                await Console.Error.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                return Failed;
            }
        };

    private static string Describe(Exception e)
    {
        var message = e.Message.ReplaceLineEndings(" ");
        return e is AggregateException { InnerExceptions.Count: 1 } a ? Describe(a.InnerExceptions[0]) : message;
    }

    /// <summary>A console for human output that never writes colour codes into pipes.</summary>
    /// <remarks>Created on first use, after the settings made standard output mask secrets.</remarks>
    public static IAnsiConsole Console2 => LazyConsole.Value;

    private static readonly Lazy<IAnsiConsole> LazyConsole = new(CreateConsole);

    private static IAnsiConsole CreateConsole()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = Console.IsOutputRedirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = Console.IsOutputRedirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
        });
        if (Console.IsOutputRedirected)
        {
            // Pipes and logs get long lines rather than wrapped URLs.
            console.Profile.Width = 240;
        }
        return console;
    }
}

/// <summary>A command line that is well-formed but asks for something impossible (exit code 2).</summary>
internal sealed class UsageException(string message) : Exception(message);
