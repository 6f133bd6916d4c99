using System.Diagnostics;

namespace Tlc.Deploy.Tests;

/// <summary>
/// Runs <c>deploy/publish.sh --no-build</c> once (the Release outputs exist: this project references the programs),
/// writing deploy/out/ as the Dockerfiles expect it; about 20 s on two cores.
/// </summary>
public sealed class PublishedOutput : IAsyncLifetime
{
    public string Folder { get; } = DeployFiles.PathOf("out");

    public string Log { get; private set; } = "";

    public TimeSpan Took { get; private set; }

    public async ValueTask InitializeAsync()
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(DeployFiles.PathOf("publish.sh"));
        info.ArgumentList.Add("--no-build");
        info.Environment["TLC_DEPLOY_OUT"] = Folder;
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        Took = watch.Elapsed;
        Log = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"deploy/publish.sh --no-build failed ({process.ExitCode}):\n{Log}");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
