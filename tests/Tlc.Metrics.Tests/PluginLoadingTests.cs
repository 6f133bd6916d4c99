using System.Runtime.Loader;
using Apache.Arrow;
using Tlc.Testing;
using TorchSharp;

namespace Tlc.Metrics.Tests;

public sealed class PluginLoadingTests : IDisposable
{
    private readonly TempRoot _root = new("plugins");

    public void Dispose() => _root.Dispose();

    /// <summary>A plugin folder as a build would leave it: the plugin, copies of host assemblies, and a native library.</summary>
    private string PluginFolder()
    {
        var folder = Path.Combine(_root.Path, "plugins");
        Directory.CreateDirectory(folder);
        var built = Path.Combine(AppContext.BaseDirectory, "test-plugin", "Tlc.Metrics.TestPlugin.dll");
        Assert.True(File.Exists(built), $"the test plugin was not built to {built}");
        File.Copy(built, Path.Combine(folder, "Tlc.Metrics.TestPlugin.dll"));
        File.Copy(typeof(IModelFactory).Assembly.Location, Path.Combine(folder, "Tlc.Metrics.dll"));
        File.Copy(typeof(torch).Assembly.Location, Path.Combine(folder, "TorchSharp.dll"));
        File.WriteAllBytes(Path.Combine(folder, "native-helper.dll"), [0x7f, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]);
        return folder;
    }

    [Fact]
    public void LoadPlugins_Folder_RegistersItsPublicParameterlessFactoriesWithSharedTypes()
    {
        var folder = PluginFolder();
        var models = new ModelRegistry();
        var collectors = new CollectorRegistry();

        Assert.Equal(["test-plugin-tiny"], models.LoadPlugins(folder));
        Assert.Equal(["test-plugin-logit-stats"], collectors.LoadPlugins(folder));

        Assert.Equal(["fashion-mnist-cnn", "test-plugin-tiny"], models.Names);
        Assert.Equal(["bounding_box", "classification", "embeddings", "output_embeddings", "segmentation", "test-plugin-logit-stats"], collectors.Names);
        var factory = models.Get("test-plugin-tiny");
        var context = AssemblyLoadContext.GetLoadContext(factory.GetType().Assembly)!;
        Assert.NotSame(AssemblyLoadContext.Default, context);
        // Tlc.Metrics and TorchSharp came from the host, not from the folder's copies.
        Assert.DoesNotContain(context.Assemblies, a => a.GetName().Name is "Tlc.Metrics" or "TorchSharp");
        Assert.Same(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(typeof(IModelFactory).Assembly));
        // Loading the folder again reuses its assemblies.
        var again = new ModelRegistry();
        again.LoadPlugins(folder);
        Assert.Same(factory.GetType(), again.Get("test-plugin-tiny").GetType());
    }

    [Fact(Timeout = 120_000)]
    public async Task LoadPlugins_ModelAndCollectorFromTheFolder_RunThroughTheRunner()
    {
        var folder = PluginFolder();
        var models = new ModelRegistry();
        var collectors = new CollectorRegistry();
        models.LoadPlugins(folder);
        collectors.LoadPlugins(folder);
        using var table = await TestTables.FashionMnistAsync(_root, 10);

        using var predictor = models.CreatePredictor(new ModelSpec(ModelKinds.Factory, "test-plugin-tiny", ArgumentsJson: """{"scale": 2}"""), [2]);
        var stats = collectors.Create(new CollectorSpec("test-plugin-logit-stats"));
        var rows = new List<RecordBatch>();
        await foreach (var batch in MetricsRunner.RunAsync(table, 0, 10, predictor, [stats], new MetricsRunOptions { BatchSize = 4 }, TestContext.Current.CancellationToken))
        {
            rows.Add(batch);
        }

        var max = rows.SelectMany(b => ((FloatArray)b.Column("logit_max")).Values.ToArray()).ToArray();
        var sum = rows.SelectMany(b => ((FloatArray)b.Column("logit_sum")).Values.ToArray()).ToArray();
        for (var i = 0; i < 10; i++)
        {
            var logits = ExpectedTinyLogits(TestTables.Pixels(i), scale: 2);
            Assert.Equal(logits.Max(), max[i], 1e-4);
            Assert.Equal(logits.Sum(), sum[i], 1e-4);
        }
    }

    [Fact]
    public void LoadPlugins_MissingFolder_IsAnError()
    {
        var missing = Path.Combine(_root.Path, "none");
        var e = Assert.Throws<DirectoryNotFoundException>(() => new ModelRegistry().LoadPlugins(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    /// <summary>The plugin model's logits, from its documented formula: w[j, i] = ((i + j) % 7 - 3) / 100 · scale, b = (0.1, 0, -0.1).</summary>
    private static double[] ExpectedTinyLogits(byte[] pixels, double scale)
    {
        var logits = new double[3];
        for (var j = 0; j < 3; j++)
        {
            for (var i = 0; i < pixels.Length; i++)
            {
                logits[j] += pixels[i] / 255.0 * ((((i + j) % 7) - 3) / 100.0) * scale;
            }
            logits[j] += 0.1 * (1 - j);
        }
        return logits;
    }

    [Fact]
    public void LoadPlugins_SymlinkPointingOutOfTheFolder_IsRefused()
    {
        // The assembly itself lies outside; the plugin folder holds only a link to it.
        var elsewhere = Directory.CreateDirectory(Path.Combine(_root.Path, "elsewhere")).FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "test-plugin", "Tlc.Metrics.TestPlugin.dll"), Path.Combine(elsewhere, "Tlc.Metrics.TestPlugin.dll"));
        var folder = Directory.CreateDirectory(Path.Combine(_root.Path, "linked-plugins")).FullName;
        File.CreateSymbolicLink(Path.Combine(folder, "Tlc.Metrics.TestPlugin.dll"), Path.Combine(elsewhere, "Tlc.Metrics.TestPlugin.dll"));

        var e = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().LoadPlugins(folder));
        Assert.Equal(
            $"Plugin {folder}/Tlc.Metrics.TestPlugin.dll is a symbolic link to {elsewhere}/Tlc.Metrics.TestPlugin.dll, outside the plugin folder {folder}: plugins load only from their folders.",
            e.Message);
    }

    [Fact]
    public void LoadPlugins_FolderThatIsALink_LoadsFromWhereItResolves()
    {
        var real = PluginFolder();
        var link = Path.Combine(_root.Path, "current");
        Directory.CreateSymbolicLink(link, real);
        Assert.Equal(["test-plugin-tiny"], new ModelRegistry().LoadPlugins(link));
    }

    [Theory]
    [InlineData("/tmp/evil/Evil.dll")]
    [InlineData("../plugins/Evil")]
    [InlineData("Evil.dll")]
    public void Get_FactoryNameThatIsAnAssemblyPath_IsRefused(string name)
    {
        var model = Assert.Throws<MetricsSpecException>(() => new ModelRegistry().Get(name));
        Assert.Equal($"'{name}' names an assembly path, not a model factory: assemblies load only from the plugin folders a process is started with (--plugins DIR); a spec names a factory by its name.", model.Message);
        var collector = Assert.Throws<MetricsSpecException>(() => new CollectorRegistry().Get(name));
        Assert.StartsWith($"'{name}' names an assembly path, not a metrics collector", collector.Message, StringComparison.Ordinal);
    }
}
