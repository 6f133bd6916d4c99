using Tlc.Tables.Configuration;
using YamlDotNet.RepresentationModel;

namespace Tlc.Deploy.Tests;

/// <summary>
/// Every file under deploy/ parses, and every settings name it uses — <c>TLC_*</c> variables in Dockerfiles, compose and
/// manifests, keys of the ConfigMap's settings file — is one the code reads; what each container is given loads through
/// <see cref="TlcConfiguration"/> with its validation.
/// </summary>
public sealed class SettingsNamesTests
{
    /// <summary><c>TLC_*</c> variables the code reads that are no settings key.</summary>
    private static readonly string[] OtherVariables = [TlcConfiguration.ConfigFileVariable, TlcConfiguration.ApiTokenVariable];

    private static void AssertKnownVariable(string variable, string where)
    {
        if (!variable.StartsWith("TLC_", StringComparison.Ordinal) || OtherVariables.Contains(variable))
        {
            return;
        }
        Assert.True(DeployFiles.SettingsKeyOf(variable) is not null,
            $"{where}: {variable} names no setting (the settings keys: {string.Join(", ", DeployFiles.SettingsKeys().Select(k => k.Key))}).");
        Assert.True(variable == variable.ToUpperInvariant(), $"{where}: {variable} should be upper case like every TLC_ variable in the docs.");
    }

    [Fact]
    public void YamlFiles_Every_ParsesIntoDocuments()
    {
        var files = DeployFiles.YamlFiles().ToList();
        Assert.Contains(DeployFiles.PathOf("compose.yaml"), files);
        Assert.Contains(DeployFiles.PathOf(Path.Combine("k8s", "base", "kustomization.yaml")), files);
        foreach (var file in files)
        {
            var documents = DeployFiles.Documents(file);
            Assert.True(documents.Count > 0 && documents.All(d => d is YamlMappingNode), $"{file}: every document should be a mapping.");
            if (file.Contains($"{Path.DirectorySeparatorChar}k8s{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            {
                foreach (var document in documents)
                {
                    Assert.False(string.IsNullOrEmpty(DeployFiles.Scalar(document, "apiVersion")), $"{file}: a document without apiVersion.");
                    Assert.False(string.IsNullOrEmpty(DeployFiles.Scalar(document, "kind")), $"{file}: a document without kind.");
                    Assert.True(DeployFiles.Scalar(document, "metadata", "namespace") is null, $"{file}: resources carry no namespace (kustomize or kubectl -n sets it).");
                }
            }
        }
    }

    [Fact]
    public void EnvironmentVariables_DockerfilesComposeAndManifests_NameSettingsTheCodeReads()
    {
        var seen = 0;
        foreach (var dockerfile in DeployFiles.Dockerfiles())
        {
            foreach (var variable in DeployFiles.DockerEnvironment(dockerfile).Keys)
            {
                AssertKnownVariable(variable, dockerfile);
                seen++;
            }
        }
        foreach (var (name, service) in DeployFiles.Entries(DeployFiles.Node(DeployFiles.Compose, "services")!))
        {
            if (DeployFiles.Node(service, "environment") is not null)
            {
                foreach (var variable in DeployFiles.ComposeEnvironment(service).Keys)
                {
                    AssertKnownVariable(variable, $"compose.yaml service {name}");
                    seen++;
                }
            }
        }
        foreach (var folder in new[] { "k8s/base", "k8s/overlays/gpu", "k8s/overlays/local" })
        {
            foreach (var (file, workload) in DeployFiles.KubernetesObjects(folder))
            {
                foreach (var container in DeployFiles.Containers(workload))
                {
                    foreach (var variable in DeployFiles.Sequence(container, "env").Select(e => DeployFiles.Scalar(e, "name")!))
                    {
                        AssertKnownVariable(variable, file);
                        seen++;
                    }
                }
            }
        }
        Assert.True(seen > 20, $"only {seen} variables found: the files were not read.");
    }

    [Fact]
    public void ConfigMap_SettingsFile_EveryKeyIsASettingAndLoads()
    {
        var configMap = DeployFiles.Kind("ConfigMap", "tlc-config");
        var text = DeployFiles.Scalar(configMap, "data", "config.yaml")!;
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        var keys = DeployFiles.LeafKeys(stream.Documents[0].RootNode).ToList();
        Assert.Contains("cluster.mode", keys);
        var known = DeployFiles.SettingsKeys().Select(k => k.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            Assert.True(known.Contains(key), $"k8s/base/configmap.yaml: config.yaml sets '{key}', which is no setting.");
        }
    }

    [Fact]
    public void Settings_EveryContainerAndComposeService_LoadsAndIsAnAzureCluster()
    {
        using var temp = new Tlc.Testing.TempRoot("deploy-settings");
        var configFile = Path.Combine(temp.Path, "config.yaml");
        File.WriteAllText(configFile, DeployFiles.Scalar(DeployFiles.Kind("ConfigMap", "tlc-config"), "data", "config.yaml")!);
        var secret = "UseDevelopmentStorage=true";
        var loaded = 0;
        foreach (var (file, workload) in DeployFiles.KubernetesObjects())
        {
            foreach (var container in DeployFiles.Containers(workload))
            {
                var environment = DeployFiles.Environment(container).ToDictionary(e => e.Key, string? (e) => e.Value ?? secret);
                var mounted = environment.GetValueOrDefault(TlcConfiguration.ConfigFileVariable);
                Assert.Equal("/etc/tlc/config.yaml", mounted);
                Assert.Contains(DeployFiles.Sequence(container, "volumeMounts"), m => DeployFiles.Scalar(m, "mountPath") == Path.GetDirectoryName(mounted));
                var settings = DeployFiles.Load(configFile, environment);
                Assert.True(settings.Cluster.IsAzure, $"{file}: the settings should be an azure cluster.");
                Assert.Equal(secret, settings.Azure.ConnectionString);
                loaded++;
            }
        }
        foreach (var (name, service) in DeployFiles.Entries(DeployFiles.Node(DeployFiles.Compose, "services")!).Where(s => s.Key != "azurite"))
        {
            var settings = DeployFiles.Load(null, DeployFiles.ComposeEnvironment(service));
            Assert.True(settings.Cluster.IsAzure, $"compose.yaml {name}: the settings should be an azure cluster.");
            Assert.Equal("file:///data/tlc", settings.Root);
            Assert.Contains(DeployFiles.Strings(service, "volumes"), v => v == "tlc-data:/data");
            loaded++;
        }
        Assert.Equal(3 + 5, loaded);
    }
}
