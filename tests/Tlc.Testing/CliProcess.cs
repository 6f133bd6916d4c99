using System.Diagnostics;
using System.Text;

namespace Tlc.Testing;

/// <summary>
/// Runs the real <c>tlc</c> command (tlc.dll beside the test assembly) as a child process: to completion
/// (<see cref="RunAsync"/>), or long-running — a silo, a worker — with its output captured as it comes (<see cref="Start"/>).
/// </summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <c>dotnet <paramref name="assembly"/> args</c> (default tlc.dll) to completion.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null,
        string assembly = "tlc.dll")
    {
        var list = args.ToList();
        using var process = Process.Start(StartInfo(assembly, list, environment)) ?? throw new InvalidOperationException("Could not start dotnet.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tlc {string.Join(' ', list)} did not finish in time.");
        }
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// Starts <c>dotnet <paramref name="assembly"/> args</c> (default tlc.dll; e.g. Tlc.Workers.dll) and returns at once; the
    /// process keeps running until it exits, is stopped (<see cref="Running.StopAsync"/>, SIGTERM) or killed.
    /// </summary>
    public static Running Start(IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, string assembly = "tlc.dll")
    {
        var list = args.ToList();
        var process = Process.Start(StartInfo(assembly, list, environment)) ?? throw new InvalidOperationException("Could not start dotnet.");
        return new Running(process, $"{Path.GetFileNameWithoutExtension(assembly)} {string.Join(' ', list)}");
    }

    /// <summary>Starts <paramref name="program"/> (e.g. python3 with a rank script) and returns at once, capturing its output as <see cref="Start"/> does.</summary>
    public static Running StartProgram(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var list = args.ToList();
        var info = ProgramInfo(program, list, environment);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        return new Running(process, $"{Path.GetFileName(program)} {string.Join(' ', list)}");
    }

    private static ProcessStartInfo StartInfo(string assembly, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, assembly);
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"{assembly} is not beside the tests; reference its project (src/Tlc.Cli for tlc.dll) from the test project.", dll);
        }
        return ProgramInfo("dotnet", [dll, .. args], environment);
    }

    private static ProcessStartInfo ProgramInfo(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        return info;
    }

    /// <summary>A long-running child process whose stdout and stderr lines are captured as they come.</summary>
    public sealed class Running : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _stdoutClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal Running(Process process, string description)
        {
            _process = process;
            Description = description;
            process.OutputDataReceived += (_, e) => Append(_stdout, e.Data, _stdoutClosed);
            process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data, _stderrClosed);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        /// <summary>What runs (for messages).</summary>
        public string Description { get; }

        /// <summary>The process id.</summary>
        public int Id => _process.Id;

        /// <summary>True once the process ended.</summary>
        public bool HasExited => _process.HasExited;

        /// <summary>Standard output so far.</summary>
        public string Stdout
        {
            get
            {
                lock (_gate)
                {
                    return _stdout.ToString();
                }
            }
        }

        /// <summary>Standard error so far.</summary>
        public string Stderr
        {
            get
            {
                lock (_gate)
                {
                    return _stderr.ToString();
                }
            }
        }

        /// <summary>Everything captured so far, for assertion messages.</summary>
        public string Transcript => $"--- {Description} stdout:\n{Stdout}\n--- stderr:\n{Stderr}";

        /// <summary>Waits until stdout has a line containing <paramref name="text"/>; fails when the process exits first or the time runs out.</summary>
        public Task<string> WaitForLineAsync(string text, TimeSpan? timeout = null) =>
            WaitForLineAsync(line => line.Contains(text, StringComparison.Ordinal), $"a line containing '{text}'", timeout);

        /// <summary>Waits until stdout has a line matching <paramref name="match"/>; returns it.</summary>
        public async Task<string> WaitForLineAsync(Func<string, bool> match, string what, TimeSpan? timeout = null)
        {
            var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
            while (true)
            {
                if (Stdout.Split('\n').FirstOrDefault(match) is { } line)
                {
                    return line.TrimEnd('\r');
                }
                if (_process.HasExited)
                {
                    await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(2000));
                    if (Stdout.Split('\n').FirstOrDefault(match) is { } last)
                    {
                        return last.TrimEnd('\r');
                    }
                    throw new InvalidOperationException($"{Description} exited with {_process.ExitCode} before printing {what}.\n{Transcript}");
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{Description} did not print {what} in time.\n{Transcript}");
                }
                await Task.Delay(50);
            }
        }

        /// <summary>Waits for the process to exit by itself; returns its exit code.</summary>
        public async Task<int> WaitForExitAsync(TimeSpan? timeout = null)
        {
            using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try
            {
                await _process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"{Description} did not exit in time.\n{Transcript}");
            }
            await Task.WhenAny(Task.WhenAll(_stdoutClosed.Task, _stderrClosed.Task), Task.Delay(2000));
            return _process.ExitCode;
        }

        /// <summary>Sends SIGTERM (a graceful stop: a worker drains, a silo shuts down) and waits for the exit code.</summary>
        public async Task<int> StopAsync(TimeSpan? timeout = null)
        {
            if (!_process.HasExited)
            {
                using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })
                    ?? throw new InvalidOperationException("Could not run kill.");
                await kill.WaitForExitAsync();
            }
            return await WaitForExitAsync(timeout);
        }

        /// <summary>Kills the process at once (SIGKILL), as a crash would end it, and waits until it is gone.</summary>
        public async Task KillAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            await _process.WaitForExitAsync();
        }

        /// <summary>Kills the process if it still runs.</summary>
        public async ValueTask DisposeAsync()
        {
            try
            {
                await KillAsync();
            }
            catch (InvalidOperationException)
            {
            }
            _process.Dispose();
        }

        private void Append(StringBuilder target, string? line, TaskCompletionSource closed)
        {
            if (line is null)
            {
                closed.TrySetResult();
                return;
            }
            lock (_gate)
            {
                target.Append(line).Append('\n');
            }
        }
    }
}
