using System.Globalization;
using Orleans.Hosting.Kubernetes;
using Tlc.Api.Hosting;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using YamlDotNet.RepresentationModel;

namespace Tlc.Deploy.Tests;

/// <summary>
/// deploy/k8s against the code: kustomize lists exactly the files there are; ports, probe paths and the health port are
/// the code's; the Secret has the keys the containers read; the silo pods carry what Orleans' Kubernetes hosting reads
/// (pod variables, labels, a role on pods); the gpu overlay asks for a GPU and runs the CUDA image on cuda.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static YamlNode Container(string deployment) => Assert.Single(DeployFiles.Containers(DeployFiles.Kind("Deployment", deployment)));

    private static int Port(YamlNode container, string name) =>
        int.Parse(DeployFiles.Scalar(DeployFiles.Sequence(container, "ports").Single(p => DeployFiles.Scalar(p, "name") == name), "containerPort")!, CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("k8s/base")]
    [InlineData("k8s/overlays/gpu")]
    [InlineData("k8s/overlays/local")]
    public void Kustomization_ResourcesAndPatches_ExistAndEveryFileIsListed(string folder)
    {
        var directory = DeployFiles.PathOf(folder);
        var kustomization = DeployFiles.Documents(Path.Combine(directory, "kustomization.yaml"))[0];
        var resources = DeployFiles.Strings(kustomization, "resources").ToList();
        var patches = DeployFiles.Sequence(kustomization, "patches").Select(p => DeployFiles.Scalar(p, "path")).OfType<string>().ToList();
        foreach (var entry in resources.Concat(patches))
        {
            var path = Path.GetFullPath(Path.Combine(directory, entry));
            Assert.True(File.Exists(path) || File.Exists(Path.Combine(path, "kustomization.yaml")), $"{folder}/kustomization.yaml lists '{entry}', which does not exist.");
        }
        foreach (var file in Directory.EnumerateFiles(directory, "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml"))
        {
            Assert.True(resources.Contains(file!) || patches.Contains(file!), $"{folder}/{file} is not listed in its kustomization.yaml.");
        }
    }

    [Fact]
    public void Ports_ContainersAndServices_AreTheCodeDefaults()
    {
        var silo = Container("tlc-silo");
        var environment = DeployFiles.Environment(silo);
        Assert.False(environment.ContainsKey("TLC_CLUSTER__SILO_PORT") || environment.ContainsKey("TLC_CLUSTER__GATEWAY_PORT"), "the silo's ports are the code's defaults");
        Assert.Equal(SiloEndpoints.DefaultSiloPort, Port(silo, "silo"));
        Assert.Equal(SiloEndpoints.DefaultGatewayPort, Port(silo, "gateway"));

        var api = Container("tlc-api");
        var arguments = DeployFiles.Strings(api, "args").ToList();
        var apiPort = int.Parse(arguments[arguments.IndexOf("--port") + 1], CultureInfo.InvariantCulture);
        Assert.Equal(TrainingApiOptions.DefaultPort, apiPort);
        Assert.Equal(apiPort, Port(api, "http"));

        // Each Service selects a workload and names one of its container ports; the gateway Service is the gateway port.
        var services = DeployFiles.KubernetesObjects().Where(o => DeployFiles.Scalar(o.Object, "kind") == "Service").ToList();
        Assert.Equal(2, services.Count);
        foreach (var (file, service) in services)
        {
            var selected = DeployFiles.Scalar(service, "spec", "selector", "app.kubernetes.io/name")!;
            var container = Container(selected);
            foreach (var port in DeployFiles.Sequence(service, "spec", "ports"))
            {
                var target = DeployFiles.Scalar(port, "targetPort")!;
                Assert.Equal((file, Port(container, target)), (file, int.Parse(DeployFiles.Scalar(port, "port")!, CultureInfo.InvariantCulture)));
            }
        }
        Assert.Equal(SiloEndpoints.DefaultGatewayPort.ToString(CultureInfo.InvariantCulture),
            DeployFiles.Scalar(DeployFiles.Sequence(DeployFiles.Kind("Service", "tlc-gateway"), "spec", "ports").Single(), "port"));
    }

    [Theory]
    [InlineData("tlc-silo")]
    [InlineData("tlc-worker")]
    public void Probes_SiloAndWorker_AskTheHealthPathsOnTheHealthPort(string deployment)
    {
        var container = Container(deployment);
        var healthPort = DeployFiles.Environment(container).GetValueOrDefault("TLC_HEALTH__PORT");
        Assert.Equal(HealthSettings.DeploymentPort.ToString(CultureInfo.InvariantCulture), healthPort);
        Assert.Equal(HealthSettings.DeploymentPort, Port(container, "health"));
        Assert.Equal(HealthSettings.LivenessPath, DeployFiles.Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal(HealthSettings.ReadinessPath, DeployFiles.Scalar(container, "readinessProbe", "httpGet", "path"));
        foreach (var probe in new[] { "livenessProbe", "readinessProbe", "startupProbe" })
        {
            if (DeployFiles.Node(container, probe) is { } node)
            {
                Assert.Equal((probe, "health"), (probe, DeployFiles.Scalar(node, "httpGet", "port")));
            }
        }
    }

    [Fact]
    public void Secret_EveryReference_NamesAKeyOfTheSecret_ConnectionStringFeedsTheStorageSetting()
    {
        var secret = DeployFiles.Kind("Secret", "tlc-storage");
        var keys = DeployFiles.Entries(DeployFiles.Node(secret, "stringData")!).Keys.ToHashSet(StringComparer.Ordinal);
        var references = 0;
        foreach (var (file, workload) in DeployFiles.KubernetesObjects())
        {
            foreach (var variable in DeployFiles.Containers(workload).SelectMany(c => DeployFiles.Sequence(c, "env")))
            {
                if (DeployFiles.Node(variable, "valueFrom", "secretKeyRef") is not { } reference)
                {
                    continue;
                }
                references++;
                var name = DeployFiles.Scalar(variable, "name")!;
                Assert.Equal((file, name, "tlc-storage"), (file, name, DeployFiles.Scalar(reference, "name")));
                var key = DeployFiles.Scalar(reference, "key")!;
                Assert.True(keys.Contains(key), $"{file}: {name} reads key '{key}', which the Secret lacks ({string.Join(", ", keys)}).");
                var expected = key switch
                {
                    "connection-string" => "TLC_AZURE__CONNECTION_STRING",
                    "api-token" => "TLC_SECURITY__API_TOKEN",
                    _ => throw new InvalidOperationException($"{file}: unknown secret key '{key}'."),
                };
                Assert.Equal((file, key, expected), (file, key, name));
            }
        }
        Assert.Equal("azure.connection_string", DeployFiles.SettingsKeyOf("TLC_AZURE__CONNECTION_STRING"));
        Assert.Equal("security.api_token", DeployFiles.SettingsKeyOf("TLC_SECURITY__API_TOKEN"));
        Assert.Equal(4, references);
    }

    [Fact]
    public void SiloPods_KubernetesHosting_VariablesLabelsAndRoleAreWhatOrleansReads()
    {
        var deployment = DeployFiles.Kind("Deployment", "tlc-silo");
        var container = Container("tlc-silo");
        Assert.Equal("true", DeployFiles.Environment(container)["TLC_CLUSTER__KUBERNETES"]);
        Assert.Equal("cluster.kubernetes", DeployFiles.SettingsKeyOf("TLC_CLUSTER__KUBERNETES"));
        var fields = DeployFiles.Sequence(container, "env")
            .Where(e => DeployFiles.Node(e, "valueFrom", "fieldRef") is not null)
            .ToDictionary(e => DeployFiles.Scalar(e, "name")!, e => DeployFiles.Scalar(e, "valueFrom", "fieldRef", "fieldPath"), StringComparer.Ordinal);
        Assert.Equal("metadata.name", fields[KubernetesHostingOptions.PodNameEnvironmentVariable]);
        Assert.Equal("metadata.namespace", fields[KubernetesHostingOptions.PodNamespaceEnvironmentVariable]);
        Assert.Equal("status.podIP", fields[KubernetesHostingOptions.PodIPEnvironmentVariable]);

        // The pods' labels carry the ids the settings give the cluster (the agent watches pods by them).
        var configFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(configFile, DeployFiles.Scalar(DeployFiles.Kind("ConfigMap", "tlc-config"), "data", "config.yaml")!);
            var settings = DeployFiles.Load(configFile, DeployFiles.Environment(container).ToDictionary(e => e.Key, string? (e) => e.Value ?? "UseDevelopmentStorage=true"));
            Assert.True(settings.Cluster.Kubernetes);
            var labels = DeployFiles.Node(deployment, "spec", "template", "metadata", "labels")!;
            Assert.Equal(settings.Cluster.ClusterId, DeployFiles.Scalar(labels, KubernetesHostingOptions.ClusterIdLabel));
            Assert.Equal(settings.Cluster.ServiceId, DeployFiles.Scalar(labels, KubernetesHostingOptions.ServiceIdLabel));
        }
        finally
        {
            File.Delete(configFile);
        }

        // The pods' service account is bound to a role that may watch and delete pods.
        var account = DeployFiles.Scalar(deployment, "spec", "template", "spec", "serviceAccountName")!;
        DeployFiles.Kind("ServiceAccount", account);
        var binding = DeployFiles.KubernetesObjects().Select(o => o.Object).Single(o => DeployFiles.Scalar(o, "kind") == "RoleBinding"
            && DeployFiles.Sequence(o, "subjects").Any(s => DeployFiles.Scalar(s, "kind") == "ServiceAccount" && DeployFiles.Scalar(s, "name") == account));
        var role = DeployFiles.Kind("Role", DeployFiles.Scalar(binding, "roleRef", "name")!);
        var rule = Assert.Single(DeployFiles.Sequence(role, "rules"));
        Assert.Equal(["pods"], DeployFiles.Strings(rule, "resources"));
        Assert.Equal([""], DeployFiles.Strings(rule, "apiGroups"));
        Assert.Subset(DeployFiles.Strings(rule, "verbs").ToHashSet(), new HashSet<string> { "get", "list", "watch", "patch", "delete" });
    }

    [Fact]
    public void GpuOverlay_Worker_RunsTheCudaImageOnCudaWithOneGpu()
    {
        var overlay = DeployFiles.Documents(DeployFiles.PathOf("k8s/overlays/gpu/kustomization.yaml"))[0];
        var image = DeployFiles.Sequence(overlay, "images").Single(i => DeployFiles.Scalar(i, "name") == DeployFiles.Scalar(Container("tlc-worker"), "image"));
        Assert.Equal("tlc-worker-cuda", DeployFiles.Scalar(image, "newName"));
        Assert.Contains("Dockerfile.worker-cuda", DeployFiles.Dockerfiles());

        var patch = DeployFiles.Documents(DeployFiles.PathOf("k8s/overlays/gpu/worker-gpu.yaml"))[0];
        Assert.Equal(("Deployment", "tlc-worker"), (DeployFiles.Scalar(patch, "kind"), DeployFiles.Scalar(patch, "metadata", "name")));
        var container = Assert.Single(DeployFiles.Containers(patch));
        Assert.Equal(DeployFiles.Scalar(Container("tlc-worker"), "name"), DeployFiles.Scalar(container, "name"));
        Assert.Equal("1", DeployFiles.Scalar(container, "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal(["--device", "cuda"], DeployFiles.Strings(container, "args"));
    }

    [Fact]
    public void LocalOverlay_StorageSecret_KeepsTheBaseKeysAndPointsAtTheAzuriteService()
    {
        var patch = DeployFiles.Documents(DeployFiles.PathOf("k8s/overlays/local/secret-azurite.yaml"))[0];
        Assert.Equal(("Secret", "tlc-storage"), (DeployFiles.Scalar(patch, "kind"), DeployFiles.Scalar(patch, "metadata", "name")));
        var baseKeys = DeployFiles.Entries(DeployFiles.Node(DeployFiles.Kind("Secret", "tlc-storage"), "stringData")!).Keys;
        var patched = DeployFiles.Entries(DeployFiles.Node(patch, "stringData")!);
        Assert.Subset(baseKeys.ToHashSet(), patched.Keys.ToHashSet());
        var connection = ((YamlScalarNode)patched["connection-string"]).Value!;
        var service = DeployFiles.Documents(DeployFiles.PathOf("k8s/overlays/local/azurite.yaml")).Single(d => DeployFiles.Scalar(d, "kind") == "Service");
        var ports = DeployFiles.Sequence(service, "spec", "ports").ToDictionary(p => DeployFiles.Scalar(p, "name")!, p => DeployFiles.Scalar(p, "port")!, StringComparer.Ordinal);
        foreach (var (endpoint, port) in new[] { ("BlobEndpoint", "blob"), ("TableEndpoint", "table") })
        {
            Assert.Contains($"{endpoint}=http://{DeployFiles.Scalar(service, "metadata", "name")}:{ports[port]}/", connection, StringComparison.Ordinal);
        }
        var settings = DeployFiles.Load(null, [new("TLC_CLUSTER__MODE", "azure"), new("TLC_AZURE__CONNECTION_STRING", connection)]);
        Assert.Equal(connection, settings.Azure.ConnectionString);
    }
}
