using System.Diagnostics;
using System.Globalization;
using Tlc.Testing;
using Table = Tlc.Tables.Table;

namespace Tlc.Cli.Tests;

/// <summary>
/// A cluster started by <c>deploy/local-cluster up</c> (Azurite, silos in azure mode, workers, the HTTP host: real
/// processes), driven through the same script — <c>kill</c>, <c>start</c>, <c>status</c>, <c>down</c> — as an operator
/// would. Its processes run the tlc.dll beside the tests.
/// </summary>
internal sealed class LocalCluster : IAsyncDisposable
{
    private LocalCluster(string state, string root, int silos, int workers)
    {
        State = state;
        Root = root;
        Silos = silos;
        Workers = workers;
    }

    /// <summary>The script's state folder (settings file, PIDs, logs, Azurite's data).</summary>
    public string State { get; }

    /// <summary>The data root.</summary>
    public string Root { get; }

    /// <summary>Silos started.</summary>
    public int Silos { get; }

    /// <summary>Workers started.</summary>
    public int Workers { get; }

    /// <summary>The settings file <c>up</c> wrote: what <c>TLC_CONFIG_FILE</c> points every tlc command at.</summary>
    public string ConfigFile => Path.Combine(State, "config.yaml");

    /// <summary>The environment a tlc command of this cluster runs with.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?> { ["TLC_CONFIG_FILE"] = ConfigFile };

    /// <summary>The cluster id <c>up</c> chose (kept in the state folder).</summary>
    public string ClusterId => File.ReadAllText(Path.Combine(State, "cluster-id")).Trim();

    /// <summary>The worker id the script gives worker <paramref name="index"/>.</summary>
    public string WorkerId(int index) => $"{ClusterId}-worker-{index}";

    /// <summary>The HTTP host's address (training API, dashboard).</summary>
    public string ApiUrl => $"http://127.0.0.1:{File.ReadAllText(Path.Combine(State, "api-port")).Trim()}";

    /// <summary>The log file of a process (all its starts, each after a <c>--- started</c> line).</summary>
    public string Log(string role, int index) => Path.Combine(State, "logs", $"{role}-{index}.log");

    /// <summary>Runs <c>deploy/local-cluster up</c> and checks its last line.</summary>
    /// <param name="allow">Folders besides the root whose files the workers may read (model weights, import sources).</param>
    public static async Task<LocalCluster> UpAsync(string state, string root, int silos = 3, int workers = 2, params string[] allow)
    {
        var cluster = new LocalCluster(state, root, silos, workers);
        var up = await cluster.RunAsync(["up", "--root", root, "--silos", silos.ToString(CultureInfo.InvariantCulture),
            "--workers", workers.ToString(CultureInfo.InvariantCulture), .. allow.SelectMany(a => new[] { "--allow", a })], TimeSpan.FromMinutes(5));
        var last = up.Stdout.TrimEnd().Split('\n')[^1];
        Assert.True(up.ExitCode == 0 && last == $"export TLC_CONFIG_FILE={cluster.ConfigFile}", $"local-cluster up failed (exit {up.ExitCode}):\n{up.Stdout}\n{up.Stderr}");
        return cluster;
    }

    /// <summary><c>kill -9</c> of one process through the script.</summary>
    public async Task KillAsync(string role, int index)
    {
        var result = await RunAsync(["kill", role, index.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, $"kill {role} {index}: {result.Stderr}");
    }

    /// <summary>Starts a stopped process again through the script (it waits until the process is ready).</summary>
    public async Task StartAsync(string role, int index)
    {
        var result = await RunAsync(["start", role, index.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(4));
        Assert.True(result.ExitCode == 0, $"start {role} {index}: {result.Stdout}\n{result.Stderr}");
    }

    /// <summary>The processes <c>status</c> lists: role, index, PID, alive.</summary>
    public async Task<IReadOnlyList<(string Role, int Index, int Pid, bool Alive)>> StatusAsync()
    {
        var result = await RunAsync(["status"], TimeSpan.FromSeconds(30));
        Assert.True(result.ExitCode == 0, result.Stderr);
        return [.. result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(f => (f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), f[3] == "alive"))];
    }

    /// <summary>The PID of a process (its latest start).</summary>
    public async Task<int> PidAsync(string role, int index) => (await StatusAsync()).Single(p => p.Role == role && p.Index == index).Pid;

    /// <summary>Stops everything <c>up</c> started.</summary>
    public async ValueTask DisposeAsync()
    {
        await RunAsync(["down"], TimeSpan.FromMinutes(1));
    }

    /// <summary>Files under the root's chunk folders that no published table references.</summary>
    public static async Task<List<string>> UnreferencedChunksAsync(string root)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var found = new List<string>();
        foreach (var objectFile in Directory.EnumerateFiles(root, "object.tlc.json", SearchOption.AllDirectories))
        {
            var folder = Path.GetDirectoryName(objectFile)!;
            if (!Directory.Exists(Path.Combine(folder, "chunks")))
            {
                continue;
            }
            using var table = await Table.OpenAsync(Url.FromLocalPath(folder).Value);
            foreach (var chunk in table.Object.Chunks)
            {
                referenced.Add(Path.GetFullPath(Path.Combine(folder, chunk.Url)));
            }
        }
        foreach (var chunks in Directory.EnumerateDirectories(root, "chunks", SearchOption.AllDirectories))
        {
            found.AddRange(Directory.EnumerateFiles(chunks, "*", SearchOption.AllDirectories).Select(Path.GetFullPath).Where(f => !referenced.Contains(f)));
        }
        return found;
    }

    /// <summary>Runs the script with this cluster's state folder.</summary>
    public async Task<CliProcess.Result> RunAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(Path.Combine(Fixtures.RepositoryRoot, "deploy", "local-cluster"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.ArgumentList.Add("--state");
        info.ArgumentList.Add(State);
        info.Environment["TLC_DLL"] = Path.Combine(AppContext.BaseDirectory, "tlc.dll");
        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start deploy/local-cluster.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"deploy/local-cluster {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:F0} s:\n{await stdout}\n{await stderr}");
        }
        return new CliProcess.Result(process.ExitCode, await stdout, await stderr);
    }
}
