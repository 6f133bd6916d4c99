using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using Tlc.Testing;

namespace Tlc.Deploy.Tests;

/// <summary>
/// The CUDA build (<c>-p:TlcTorchBackend=cuda</c>) as MSBuild evaluates it: the torch backend package is swapped and
/// nothing else is dropped (ONNX Runtime stays); the CUDA image names the libtorch package and version the build uses.
/// The package itself is not served in this project's feed, so the build is not restored or run here (deploy/gpu-check.sh
/// does, on a GPU machine).
/// </summary>
public sealed class CudaBuildTests
{
    private static async Task<HashSet<string>> PackageReferencesAsync(string project, params string[] properties)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Fixtures.RepositoryRoot };
        foreach (var argument in new[] { "msbuild", project, "-getItem:PackageReference", "-nologo" }.Concat(properties))
        {
            info.ArgumentList.Add(argument);
        }
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(process.ExitCode == 0, $"dotnet msbuild {project}: {await stderr}{await stdout}");
        using var json = JsonDocument.Parse(await stdout);
        return [.. json.RootElement.GetProperty("Items").GetProperty("PackageReference").EnumerateArray().Select(i => i.GetProperty("Identity").GetString()!)];
    }

    [Fact(Timeout = 120_000)]
    public async Task TorchBackendCuda_Metrics_SwapsLibtorchAndKeepsEveryOtherPackage()
    {
        const string project = "src/Tlc.Metrics/Tlc.Metrics.csproj";
        var cpu = await PackageReferencesAsync(project);
        var cuda = await PackageReferencesAsync(project, "-p:TlcTorchBackend=cuda");
        Assert.Contains("libtorch-cpu-linux-x64", cpu);
        Assert.Contains("Microsoft.ML.OnnxRuntime", cuda);
        Assert.Contains("libtorch-cuda-12.8-linux-x64", cuda);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", cuda);
        cpu.Remove("libtorch-cpu-linux-x64");
        cuda.Remove("libtorch-cuda-12.8-linux-x64");
        Assert.Equal(cpu.Order(), cuda.Order());
    }

    [Fact]
    public void CudaWorkerImage_NamesTheLibtorchPackageAndVersionOfTheBuild()
    {
        var versions = XDocument.Load(Path.Combine(Fixtures.RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(p => (string)p.Attribute("Include")!, p => (string)p.Attribute("Version")!, StringComparer.Ordinal);
        var dockerfile = File.ReadAllText(DeployFiles.PathOf("docker/Dockerfile.worker-cuda"));
        Assert.Contains($"libtorch-cuda-12.8-linux-x64 {versions["libtorch-cuda-12.8-linux-x64"]}", dockerfile, StringComparison.Ordinal);
        Assert.Contains("-p:TlcTorchBackend=cuda", dockerfile, StringComparison.Ordinal);
        Assert.StartsWith("nvidia/cuda:12.8", DeployFiles.Dockerfile("Dockerfile.worker-cuda").Last(i => i.Instruction == "FROM").Arguments, StringComparison.Ordinal);
        Assert.Contains("-p:TlcTorchBackend=cuda", File.ReadAllText(DeployFiles.PathOf("publish.sh")), StringComparison.Ordinal);
    }
}
