using System.Diagnostics;

namespace Tlc.Testing;

/// <summary>Runs Node.js scripts for interoperability tests (reading Tlc's files with npm packages).</summary>
public static class Node
{
    /// <summary>The result of a script: exit code and captured output.</summary>
    public sealed record Result(int ExitCode, string Output, string Error);

    /// <summary>Runs <c>node script args...</c>, failing after <paramref name="timeout"/>; node must be on PATH.</summary>
    public static async Task<Result> RunAsync(string script, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start (is Node.js installed and on PATH?).");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"node {script} did not finish within {timeout}.");
        }
        return new Result(process.ExitCode, await output, await error);
    }
}
