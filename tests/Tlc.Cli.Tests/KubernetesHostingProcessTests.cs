using System.Globalization;
using Orleans.Hosting.Kubernetes;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>
/// <c>cluster.kubernetes</c> switches Orleans' Kubernetes hosting on in <c>tlc silo</c>: outside a pod the silo stops at
/// start with what is missing — the pod address, then the Kubernetes API the hosting watches pods through.
/// </summary>
[Collection(ClusterProcesses.Name)]
public sealed class KubernetesHostingProcessTests : IDisposable
{
    private readonly TempRoot _root = new("kubernetes");

    public void Dispose() => _root.Dispose();

    private static Dictionary<string, string?> Environment() => new()
    {
        ["TLC_CLUSTER__MODE"] = "azure",
        ["TLC_CLUSTER__CONNECTION_STRING"] = Azurite.ConnectionString,
        ["TLC_CLUSTER__CLUSTER_ID"] = $"k8s-{Guid.NewGuid():N}"[..14],
        ["TLC_CLUSTER__SILO_PORT"] = ClusterCliSupport.FreePort().ToString(CultureInfo.InvariantCulture),
        ["TLC_CLUSTER__GATEWAY_PORT"] = ClusterCliSupport.FreePort().ToString(CultureInfo.InvariantCulture),
        ["TLC_CLUSTER__KUBERNETES"] = "true",
        ["KUBERNETES_SERVICE_HOST"] = null,
        ["KUBERNETES_SERVICE_PORT"] = null,
    };

    [Fact(Timeout = 120_000)]
    public async Task Silo_KubernetesOutsideAPod_FailsNamingThePodAddressThenTheKubernetesApi()
    {
        var noPod = await CliProcess.RunAsync(["silo", "--root", _root.Path], Environment(), TimeSpan.FromSeconds(60));
        Assert.Equal(1, noPod.ExitCode);
        Assert.Contains($"cluster.kubernetes is set but {KubernetesHostingOptions.PodIPEnvironmentVariable} is not an IP address", noPod.Stderr, StringComparison.Ordinal);

        var environment = Environment();
        environment[KubernetesHostingOptions.PodIPEnvironmentVariable] = "127.0.0.1";
        environment[KubernetesHostingOptions.PodNameEnvironmentVariable] = "tlc-silo-0";
        environment[KubernetesHostingOptions.PodNamespaceEnvironmentVariable] = "tlc";
        var noApi = await CliProcess.RunAsync(["silo", "--root", _root.Path], environment, TimeSpan.FromSeconds(90));
        Assert.Equal(1, noApi.ExitCode);
        Assert.Contains("Unable to load in-cluster configuration", noApi.Stderr, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Silo_KubernetesWithEmbeddedMode_FailsNamingTheSetting()
    {
        var result = await CliProcess.RunAsync(["silo", "--root", _root.Path], new Dictionary<string, string?> { ["TLC_CLUSTER__KUBERNETES"] = "true" });
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cluster.kubernetes needs a cluster mode other than embedded", result.Stderr, StringComparison.Ordinal);
    }
}
