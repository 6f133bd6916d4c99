using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Tlc.Deploy.Tests;

/// <summary>
/// Runs <c>deploy/pack.sh --no-build</c> once (the Release outputs exist: this project references the CLI, whose build
/// holds every project under src/) into a temporary folder feed, under a version of its own (0.1.0-test.…) so that no
/// package cached under the same version anywhere can stand in for the ones just packed; about 2 min on two cores.
/// Also gives what the tests that install from the feed share: a NuGet configuration with the feed as the only source
/// and the user's package folder as a fallback (everything the packages depend on was restored there for the
/// repository's own build: nothing is downloaded, libtorch included), a package folder of the test's own (nothing the
/// tests install lands in the user's), and <see cref="RunAsync"/> for dotnet and the installed tool.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "tlc-pack-tests", Guid.NewGuid().ToString("N")[..12]);

    public string Feed => Path.Combine(Folder, "feed");

    public string Version { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

    /// <summary>The nuget.config of the feed (the only source) and the user's package folder (a fallback).</summary>
    public string NuGetConfig => Path.Combine(Folder, "nuget.config");

    /// <summary>The package folder the tests restore into (NUGET_PACKAGES), deleted with <see cref="Folder"/>.</summary>
    public string Packages => Path.Combine(Folder, "packages");

    public string Log { get; private set; } = "";

    public TimeSpan Took { get; private set; }

    /// <summary>The folder holding the dotnet host this test runs on (DOTNET_ROOT for the tool's launcher).</summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        var userPackages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        await File.WriteAllTextAsync(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="tlc-test-feed" value="{Feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user" value="{userPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
        var watch = Stopwatch.StartNew();
        var result = await RunAsync("bash", [DeployFiles.PathOf("pack.sh"), "--no-build", $"-p:Version={Version}"], DeployFiles.Folder,
            new Dictionary<string, string?> { ["TLC_PACK_OUT"] = Feed }, TimeSpan.FromMinutes(5));
        Took = watch.Elapsed;
        Log = result.Output;
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/pack.sh --no-build failed ({result.ExitCode}):\n{Log}");
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return ValueTask.CompletedTask;
    }

    public sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs <paramref name="program"/> to completion in <paramref name="directory"/>, stdout and stderr together, with
    /// NUGET_PACKAGES this fixture's, no MSBuild settings inherited from the test host's own build and no MSBuild node reuse.
    /// </summary>
    public async Task<Result> RunAsync(string program, IEnumerable<string> args, string directory, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_ROOT"] = DotnetRoot;
        info.Environment["NUGET_PACKAGES"] = Packages;
        // No MSBuild node outlives the command (holding its output open, or the test's files).
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = new StringBuilder();
        var stdout = Pump(process.StandardOutput, output);
        var stderr = Pump(process.StandardError, output);
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await Task.WhenAll(stdout, stderr);
            throw new TimeoutException($"{program} {string.Join(' ', info.ArgumentList)} did not finish in time:\n{output}");
        }
        await Task.WhenAll(stdout, stderr);
        lock (output)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }

    private static async Task Pump(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }
    }
}
