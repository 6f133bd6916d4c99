using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Tlc.Metrics;
using Tlc.Testing;

namespace Tlc.Cli.Tests;

/// <summary>The cluster tests start silos and workers as processes: they run one at a time, alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterProcesses
{
    public const string Name = "cluster processes";
}

/// <summary>What the cluster verb tests share: a Fashion-MNIST subset, the trained CNN, the plugin folder.</summary>
internal static class ClusterCliSupport
{
    /// <summary>The classification collector's arguments: Fashion-MNIST's classes as image-folder class names.</summary>
    public static string ClassesJson => JsonSerializer.Serialize(new { classes = FashionMnist.Classes });

    /// <summary>The CNN trained by the fixture builder.</summary>
    public static string Weights => Fixtures.FashionMnistCnnWeights;

    /// <summary>Copies the first <paramref name="perClass"/> PNGs of each class of the Fashion-MNIST test split into <paramref name="folder"/>.</summary>
    public static string FashionMnistSubset(string folder, int perClass)
    {
        foreach (var classFolder in Directory.GetDirectories(Fixtures.FashionMnistTestPngs))
        {
            var target = Directory.CreateDirectory(Path.Combine(folder, Path.GetFileName(classFolder))).FullName;
            foreach (var png in Directory.GetFiles(classFolder, "*.png").Order(StringComparer.Ordinal).Take(perClass))
            {
                File.Copy(png, Path.Combine(target, Path.GetFileName(png)));
            }
        }
        return folder;
    }

    /// <summary>Imports a subset with <c>tlc import image-folder</c>; returns the table URL.</summary>
    public static async Task<string> ImportSubsetAsync(TempRoot root, int perClass, string rootArgument, IReadOnlyDictionary<string, string?>? environment = null, string? source = null)
    {
        var folder = source ?? FashionMnistSubset(Path.Combine(root.Path, "input", "fashion-mnist"), perClass);
        var result = await CliProcess.RunAsync(["import", "image-folder", folder, "--root", rootArgument, "--project", "fm", "--dataset", "fashion-mnist", "--table", "test-subset", "--json"], environment);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(perClass * 10, json.RootElement.GetProperty("rows").GetInt64());
        return json.RootElement.GetProperty("url").GetString()!;
    }

    /// <summary>A plugin folder holding only the CLI test plugin (its host assemblies come from the worker).</summary>
    public static string PluginFolder(TempRoot root)
    {
        var built = Path.Combine(AppContext.BaseDirectory, "test-plugin", "Tlc.Cli.TestPlugin.dll");
        Assert.True(File.Exists(built), $"the test plugin was not built to {built}");
        var folder = Directory.CreateDirectory(Path.Combine(root.Path, "plugins")).FullName;
        File.Copy(built, Path.Combine(folder, "Tlc.Cli.TestPlugin.dll"), overwrite: true);
        return folder;
    }

    /// <summary>The collect arguments shared by the tests: the plugin CNN, classification and embeddings, 16-row shards.</summary>
    public static List<string> CollectArguments(string root, string table, string run, string model = "factory:test-plugin-fashion-cnn", int delayMs = 0) =>
    [
        "collect", "--root", root, "--table", table, "--model", $"{model}@{Weights}",
        "--model-args", delayMs > 0 ? $$"""{"delay_ms": {{delayMs}}}""" : "{}",
        "--collectors", "classification,embeddings",
        "--collector-args", $"classification={ClassesJson}", "--collector-args", """embeddings={"layers": [9]}""",
        "--run", run, "--split", "test", "--epoch", "1", "--batch-size", "16", "--shard-rows", "16",
    ];

    /// <summary>Shard indices a worker's log reports as accepted for <paramref name="jobId"/>.</summary>
    public static List<int> AcceptedShards(string log, string jobId) =>
        [.. log.Split('\n')
            .Where(l => l.Contains($"job {jobId} shard ", StringComparison.Ordinal) && l.Contains(": Accepted,", StringComparison.Ordinal))
            .Select(l => int.Parse(l[(l.IndexOf($"job {jobId} shard ", StringComparison.Ordinal) + $"job {jobId} shard ".Length)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>Chunk indices a worker's log reports as committed (accepted) for import job <paramref name="jobId"/>.</summary>
    public static List<int> AcceptedChunks(string log, string jobId) =>
        [.. log.Split('\n')
            .Where(l => l.Contains($"job {jobId} chunk ", StringComparison.Ordinal) && l.Contains(": Accepted,", StringComparison.Ordinal))
            .Select(l => int.Parse(l[(l.IndexOf($"job {jobId} chunk ", StringComparison.Ordinal) + $"job {jobId} chunk ".Length)..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture))];

    /// <summary>A free TCP port on the loopback interface.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
