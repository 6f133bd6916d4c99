using System.CommandLine;
using System.Diagnostics;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>Every verb of <c>tlc</c> is documented and behaves alike: help with an example that parses, --json where it prints data, one-line errors, exit codes, completion.</summary>
public sealed class CliConsistencyTests
{
    /// <summary>Verbs that act rather than print data (a long-running process, a job with its own progress view, a script).</summary>
    private static readonly HashSet<string> WithoutJson =
    [
        "tlc demo", "tlc silo", "tlc worker", "tlc api", "tlc dashboard", "tlc completion",
    ];

    public static IEnumerable<(string Path, Command Command)> Verbs()
    {
        static IEnumerable<(string, Command)> Walk(string path, Command command)
        {
            if (command.Action is not null)
            {
                yield return (path, command);
            }
            foreach (var sub in command.Subcommands)
            {
                foreach (var found in Walk($"{path} {sub.Name}", sub))
                {
                    yield return found;
                }
            }
        }
        return Walk("tlc", Program.BuildRoot());
    }

    public static TheoryData<string> VerbPaths() => [.. Verbs().Select(v => v.Path)];

    [Theory]
    [MemberData(nameof(VerbPaths))]
    public void Help_EveryVerb_HasADescriptionAndAnExampleThatParses(string path)
    {
        var command = Verbs().Single(v => v.Path == path).Command;

        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"{path} has no description");
        var examples = command.Description!.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Example: ", StringComparison.Ordinal)).ToList();
        Assert.True(examples.Count > 0, $"{path} --help shows no 'Example: {path} ...' line");
        foreach (var example in examples)
        {
            var line = example["Example: ".Length..];
            Assert.StartsWith(path, line, StringComparison.Ordinal);
            var parse = Program.BuildRoot().Parse(ShellWords(line).Skip(1).ToArray());
            Assert.True(parse.Errors.Count == 0, $"'{line}': {string.Join("; ", parse.Errors.Select(e => e.Message))}");
            Assert.Equal(path, PathOf(parse.CommandResult));
        }
    }

    /// <summary>The verb a parse ended at, as "tlc run info".</summary>
    private static string PathOf(System.CommandLine.Parsing.CommandResult result)
    {
        var names = new List<string>();
        for (System.CommandLine.Parsing.SymbolResult? r = result; r is not null; r = r.Parent)
        {
            if (r is System.CommandLine.Parsing.CommandResult c)
            {
                names.Add(c.Parent is null ? "tlc" : c.Command.Name);
            }
        }
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>Splits a command line as a POSIX shell does: '…' literal, "…" with backslash escapes, words between blanks.</summary>
    private static List<string> ShellWords(string line)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var inWord = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\'' )
            {
                var end = line.IndexOf('\'', i + 1);
                word.Append(line, i + 1, end - i - 1);
                (i, inWord) = (end, true);
            }
            else if (c == '"')
            {
                for (i++; line[i] != '"'; i++)
                {
                    word.Append(line[i] == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\' ? line[++i] : line[i]);
                }
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    (word, inWord) = (new(), false);
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return words;
    }

    [Theory]
    [MemberData(nameof(VerbPaths))]
    public void Json_EveryVerbThatPrintsData_HasAJsonOption(string path)
    {
        var command = Verbs().Single(v => v.Path == path).Command;
        var hasJson = command.Options.Any(o => o.Name == "--json");

        Assert.True(hasJson || WithoutJson.Contains(path), $"{path} prints data but has no --json");
    }

    [Fact(Timeout = 120_000)]
    public async Task Errors_OneLineWithoutStackTrace_UnlessVerbose_ExitCodesAsDocumented()
    {
        using var root = new TempRoot("cli-errors");
        var missing = Path.Combine(root.Path, "no-such-table");

        var failed = await CliProcess.RunAsync(["table", "info", missing, "--root", root.Path]);
        var verbose = await CliProcess.RunAsync(["table", "info", missing, "--root", root.Path, "--verbose"]);
        var usage = await CliProcess.RunAsync(["table", "info", missing, "--root", root.Path, "--no-such-option"]);
        var ok = await CliProcess.RunAsync(["tables", "--root", root.Path, "--json"]);

        Assert.Equal(1, failed.ExitCode);
        var line = Assert.Single(failed.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tlc: ", line, StringComparison.Ordinal);
        Assert.Contains("no-such-table", line, StringComparison.Ordinal);
        Assert.Equal(1, verbose.ExitCode);
        Assert.Contains("   at ", verbose.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--no-such-option", usage.Stderr, StringComparison.Ordinal);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("", ok.Stderr);
    }

    [Fact(Timeout = 120_000)]
    public async Task Completion_BashScript_CompletesVerbsAndOptions()
    {
        var script = await CliProcess.RunAsync(["completion", "bash"]);
        Assert.Equal(0, script.ExitCode);
        using var root = new TempRoot("cli-completion");
        var file = Path.Combine(root.Path, "tlc-completion.bash");
        await File.WriteAllTextAsync(file, script.Stdout);
        var dll = Path.Combine(AppContext.BaseDirectory, "tlc.dll");
        // The script calls 'tlc'; a shell function of that name runs the tlc.dll under test.
        var probe = $$"""
            tlc() { dotnet "{{dll}}" "$@"; }
            source "{{file}}"
            for line in "tlc ta" "tlc table in" "tlc tables --js"; do
              COMP_LINE="$line"; COMP_POINT=${#line}; COMP_WORDS=($line); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
              _tlc_complete tlc
              echo "$line => ${COMPREPLY[*]}"
            done
            """;
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var bash = Process.Start(info)!;
        await bash.StandardInput.WriteAsync(probe);
        bash.StandardInput.Close();
        var output = await bash.StandardOutput.ReadToEndAsync();
        await bash.WaitForExitAsync();

        Assert.Contains("tlc ta => table tables", output, StringComparison.Ordinal);
        Assert.Contains("tlc table in => info", output, StringComparison.Ordinal);
        Assert.Contains("tlc tables --js => --json", output, StringComparison.Ordinal);
    }
}
