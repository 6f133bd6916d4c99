using System.Globalization;
using System.Net;
using System.Text.Json;
using Tlc.Api.Hosting;
using Tlc.Silo.Hosting;
using Tlc.Tables.Configuration;
using YamlDotNet.RepresentationModel;

namespace Tlc.Deploy.Tests;

/// <summary>
/// The Dockerfiles and compose file against the code and the published output: every image the files run has a
/// Dockerfile, whose entry point is in what deploy/publish.sh produced; ports, health port and probes are the code's.
/// </summary>
public sealed class ImageTests(PublishedOutput published) : IClassFixture<PublishedOutput>
{
    /// <summary>The image a Dockerfile builds, by the naming rule of the files: Dockerfile.worker-cuda → tlc-worker-cuda.</summary>
    private static string ImageOf(string dockerfile) => "tlc-" + dockerfile["Dockerfile.".Length..];

    private static (string Source, string EntryDll) Layout(string dockerfile)
    {
        var instructions = DeployFiles.Dockerfile(dockerfile);
        var copy = instructions.Single(i => i.Instruction == "COPY" && !i.Arguments.StartsWith("--from", StringComparison.Ordinal)).Arguments.Split(' ');
        var entry = JsonSerializer.Deserialize<string[]>(instructions.Single(i => i.Instruction == "ENTRYPOINT").Arguments)!;
        Assert.Equal("dotnet", entry[0]);
        Assert.Equal("/app/", copy[1]);
        Assert.StartsWith("/app/", entry[1], StringComparison.Ordinal);
        return (copy[0].TrimEnd('/'), entry[1]["/app/".Length..]);
    }

    [Fact]
    public void Images_EveryOneTheFilesRun_HasADockerfile()
    {
        var built = DeployFiles.Dockerfiles().Select(ImageOf).ToHashSet(StringComparer.Ordinal);
        var used = new List<string>();
        used.AddRange(DeployFiles.KubernetesObjects().SelectMany(o => DeployFiles.Containers(o.Object)).Select(c => DeployFiles.Scalar(c, "image")!));
        used.AddRange(DeployFiles.Sequence(DeployFiles.Documents(DeployFiles.PathOf("k8s/overlays/gpu/kustomization.yaml"))[0], "images").Select(i => DeployFiles.Scalar(i, "newName")!));
        foreach (var (name, service) in DeployFiles.Entries(DeployFiles.Node(DeployFiles.Compose, "services")!).Where(s => s.Key != "azurite"))
        {
            used.Add(DeployFiles.Scalar(service, "image")!);
            if (DeployFiles.Node(service, "build") is { } build)
            {
                Assert.Equal((name, DeployFiles.Scalar(service, "image")), (name, ImageOf(Path.GetFileName(DeployFiles.Scalar(build, "dockerfile")!))));
                Assert.Equal(".", DeployFiles.Scalar(build, "context"));
            }
        }
        foreach (var image in used)
        {
            Assert.True(built.Contains(image), $"the image {image} has no Dockerfile under deploy/docker ({string.Join(", ", built)}).");
        }
        Assert.Equal(built.Order(), used.Distinct().Order());
    }

    [Fact]
    public void Dockerfiles_EntryPoints_ArePublishedByPublishSh()
    {
        Assert.Contains("[publish] silo", published.Log, StringComparison.Ordinal);
        foreach (var dockerfile in DeployFiles.Dockerfiles())
        {
            var (source, dll) = Layout(dockerfile);
            Assert.Equal((dockerfile, $"out/{ImageOf(dockerfile)["tlc-".Length..]}"), (dockerfile, source));
            // The CUDA worker is the worker project built with -p:TlcTorchBackend=cuda (publish.sh --cuda, where its libtorch
            // package can be restored): its entry point is the CPU worker's.
            var folder = source == "out/worker-cuda" ? "worker" : source["out/".Length..];
            var output = Path.Combine(published.Folder, folder);
            Assert.True(File.Exists(Path.Combine(output, dll)), $"{dockerfile}: {dll} is not in {output} (deploy/publish.sh output:\n{published.Log})");
            Assert.True(File.Exists(Path.Combine(output, Path.ChangeExtension(dll, ".runtimeconfig.json"))), $"{dockerfile}: {dll} is not runnable by dotnet (no runtimeconfig)");
            var baseImage = DeployFiles.Dockerfile(dockerfile).Last(i => i.Instruction == "FROM").Arguments;
            Assert.True(baseImage.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", StringComparison.Ordinal) || baseImage.StartsWith("nvidia/cuda:12.8", StringComparison.Ordinal),
                $"{dockerfile}: a runtime base image, not '{baseImage}'");
            Assert.DoesNotContain(DeployFiles.Dockerfile(dockerfile), i => i.Arguments.Contains("dotnet/sdk", StringComparison.Ordinal) || i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Dockerfiles_SiloAndWorkers_ExposeTheCodePortsAndSetTheHealthPort()
    {
        foreach (var dockerfile in DeployFiles.Dockerfiles())
        {
            var exposed = DeployFiles.Dockerfile(dockerfile).Where(i => i.Instruction == "EXPOSE")
                .SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToHashSet();
            var environment = DeployFiles.DockerEnvironment(dockerfile);
            int[] expected = dockerfile switch
            {
                "Dockerfile.silo" => [SiloEndpoints.DefaultSiloPort, SiloEndpoints.DefaultGatewayPort, HealthSettings.DeploymentPort],
                "Dockerfile.cli" => [TrainingApiOptions.DefaultPort],
                _ => [HealthSettings.DeploymentPort],
            };
            Assert.Equal((dockerfile, string.Join(' ', expected.Order())), (dockerfile, string.Join(' ', exposed.Order())));
            if (exposed.Contains(HealthSettings.DeploymentPort))
            {
                Assert.Equal((dockerfile, HealthSettings.DeploymentPort.ToString(CultureInfo.InvariantCulture)), (dockerfile, environment.GetValueOrDefault("TLC_HEALTH__PORT")));
            }
        }
    }

    [Fact]
    public void Compose_Services_HealthchecksPortsAndAddressesAgreeWithTheCode()
    {
        var services = DeployFiles.Entries(DeployFiles.Node(DeployFiles.Compose, "services")!);
        Assert.Equal(["api", "azurite", "silo1", "silo2", "worker1", "worker2"], services.Keys.Order(StringComparer.Ordinal));
        var subnet = DeployFiles.Scalar(DeployFiles.Sequence(DeployFiles.Compose, "networks", "tlc", "ipam", "config").Single(), "subnet")!;
        var addresses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, service) in services.Where(s => s.Key.StartsWith("silo", StringComparison.Ordinal) || s.Key.StartsWith("worker", StringComparison.Ordinal)))
        {
            var environment = DeployFiles.ComposeEnvironment(service);
            var healthPort = int.Parse(environment["TLC_HEALTH__PORT"]!, CultureInfo.InvariantCulture);
            Assert.Equal(HealthSettings.DeploymentPort, healthPort);
            var test = string.Join(' ', DeployFiles.Strings(service, "healthcheck", "test"));
            Assert.Contains($"/dev/tcp/127.0.0.1/{healthPort} ", test, StringComparison.Ordinal);
            Assert.Contains($"GET {HealthSettings.ReadinessPath} HTTP/1.0", test, StringComparison.Ordinal);
            if (name.StartsWith("silo", StringComparison.Ordinal))
            {
                // A silo announces the address it has on the network, inside the network's subnet, one per silo.
                var advertised = environment["TLC_CLUSTER__ADVERTISED_IP"]!;
                Assert.Equal((name, advertised), (name, DeployFiles.Scalar(service, "networks", "tlc", "ipv4_address")));
                Assert.True(InSubnet(IPAddress.Parse(advertised), subnet), $"{name}: {advertised} is not in {subnet}");
                Assert.True(addresses.Add(advertised), $"{name}: {advertised} is another silo's");
            }
        }
        Assert.Equal(2, addresses.Count);

        var api = services["api"];
        var arguments = DeployFiles.Strings(api, "command").ToList();
        Assert.Equal("api", arguments[0]);
        var port = arguments[arguments.IndexOf("--port") + 1];
        Assert.Equal(TrainingApiOptions.DefaultPort.ToString(CultureInfo.InvariantCulture), port);
        Assert.Equal([$"{port}:{port}"], DeployFiles.Strings(api, "ports"));
        Assert.False(string.IsNullOrEmpty(DeployFiles.Load(null, DeployFiles.ComposeEnvironment(api)).Security.ApiToken), "bound off loopback the API needs its token (security.api_token)");
    }

    private static bool InSubnet(IPAddress address, string cidr) => IPNetwork.Parse(cidr).Contains(address);
}
