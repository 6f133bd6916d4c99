using System.CommandLine;

namespace Tlc.Cli.Commands;

/// <summary>
/// <c>tlc completion bash|zsh|pwsh</c>: prints a shell script that completes verbs, options and values by asking
/// <c>tlc "[suggest:POSITION]" "LINE"</c> (System.CommandLine's suggest directive) — the completions always match the
/// installed <c>tlc</c>.
/// </summary>
internal static class CompletionCommand
{
    public static Command Create()
    {
        var shell = new Argument<string>("shell") { Description = "bash, zsh or pwsh." };
        shell.AcceptOnlyFromAmong("bash", "zsh", "pwsh");
        var command = new Command("completion",
            "Print a shell completion script for tlc (verbs, options and their values).\n" +
            "bash: add 'source <(tlc completion bash)' to ~/.bashrc; zsh: 'source <(tlc completion zsh)' in ~/.zshrc;\n" +
            "PowerShell: 'tlc completion pwsh | Out-String | Invoke-Expression' in $PROFILE.\n" +
            "Example: tlc completion bash")
        {
            shell,
        };
        command.SetAction(parse =>
        {
            Console.Out.Write(parse.GetValue(shell) switch
            {
                "bash" => Bash,
                "zsh" => Zsh,
                _ => PowerShell,
            });
            return CliRunner.Ok;
        });
        return command;
    }

    private const string Bash = """
        # tlc completion for bash: source <(tlc completion bash)
        _tlc_complete() {
            local IFS=$'\n'
            COMPREPLY=($(tlc "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null | grep -- "^${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _tlc_complete tlc

        """;

    private const string Zsh = """
        # tlc completion for zsh: source <(tlc completion zsh)
        autoload -U +X bashcompinit && bashcompinit
        _tlc_complete() {
            local IFS=$'\n'
            COMPREPLY=($(tlc "[suggest:${COMP_POINT}]" "${COMP_LINE}" 2>/dev/null | grep -- "^${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _tlc_complete tlc

        """;

    private const string PowerShell = """
        # tlc completion for PowerShell: tlc completion pwsh | Out-String | Invoke-Expression
        Register-ArgumentCompleter -Native -CommandName tlc -ScriptBlock {
            param($wordToComplete, $commandAst, $cursorPosition)
            tlc "[suggest:$cursorPosition]" "$commandAst" | ForEach-Object {
                [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
            }
        }

        """;
}
