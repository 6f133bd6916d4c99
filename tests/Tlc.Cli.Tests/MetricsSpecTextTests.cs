using Tlc.Metrics;

namespace Tlc.Cli.Tests;

public sealed class MetricsSpecTextTests
{
    [Fact]
    public void Model_FactoryWithWeightsPath_AbsoluteFileUrlArgumentsAndDevice()
    {
        var spec = MetricsSpecText.Model("factory:fashion-mnist-cnn@models/cnn.dat", """{ "normalize": true }""", "auto");

        Assert.Equal(ModelKinds.Factory, spec.Kind);
        Assert.Equal("fashion-mnist-cnn", spec.Name);
        Assert.Equal(Url.FromLocalPath(Path.GetFullPath("models/cnn.dat")).Value, spec.WeightsUrl);
        Assert.Equal("""{"normalize":true}""", spec.ArgumentsJson);
        Assert.Equal("auto", spec.Device);
    }

    [Fact]
    public void Model_FactoryWithoutWeights_UrlsKept_TorchScriptAndOnnxNamedByFile()
    {
        Assert.Null(MetricsSpecText.Model("factory:my-net", null, "cpu").WeightsUrl);
        Assert.Equal("azure://models/cnn.safetensors", MetricsSpecText.Model("factory:my-net@azure://models/cnn.safetensors", null, "cpu").WeightsUrl);
        var script = MetricsSpecText.Model("torchscript:/models/net.torchscript.pt", null, "cpu");
        Assert.Equal((ModelKinds.TorchScript, "net.torchscript", "file:///models/net.torchscript.pt"), (script.Kind, script.Name, script.WeightsUrl));
        var onnx = MetricsSpecText.Model("ONNX:https://example.com/resnet18.onnx", null, "cpu");
        Assert.Equal((ModelKinds.Onnx, "resnet18", "https://example.com/resnet18.onnx"), (onnx.Kind, onnx.Name, onnx.WeightsUrl));
    }

    [Theory]
    [InlineData("resnet.onnx")]
    [InlineData("factory:")]
    [InlineData("factory:net@")]
    [InlineData("onnx:")]
    [InlineData("keras:model.h5")]
    public void Model_NotASpec_UsageErrorWithTheSyntax(string text)
    {
        var e = Assert.Throws<UsageException>(() => MetricsSpecText.Model(text, null, "cpu"));
        Assert.Contains("factory:NAME", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Collectors_NamesInOrder_ArgumentsByName()
    {
        var specs = MetricsSpecText.Collectors("classification, embeddings", ["""embeddings={"layers": [9]}"""]);

        Assert.Equal([new CollectorSpec("classification"), new CollectorSpec("embeddings", """{"layers":[9]}""")], specs);
    }

    [Theory]
    [InlineData("", new string[0], "no collector")]
    [InlineData("classification,classification", new string[0], "twice")]
    [InlineData("classification", new[] { "embeddings={}" }, "not in --collectors")]
    [InlineData("classification", new[] { "classification" }, "NAME=JSON")]
    [InlineData("classification", new[] { "classification={bad" }, "not valid JSON")]
    [InlineData("classification", new[] { "classification=[]" }, "JSON object")]
    [InlineData("classification", new[] { "classification={}", "classification={}" }, "twice")]
    public void Collectors_BadLists_UsageErrors(string list, string[] arguments, string message)
    {
        var e = Assert.Throws<UsageException>(() => MetricsSpecText.Collectors(list, arguments));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}

public sealed class CollectProgressTests
{
    [Fact]
    public void Describe_RunningJob_ShardsRowsPerSecondEta()
    {
        var progress = new Tlc.Cluster.JobProgress
        {
            JobId = "0123456789abcdef", Kind = Tlc.Cluster.JobKinds.Metrics, ItemNoun = "shard", Status = Tlc.Cluster.JobStatus.Running, Items = 13, ItemsCommitted = 3,
            RowsPerSecond = 1234.4, Eta = TimeSpan.FromSeconds(75),
        };

        Assert.Equal("job 01234567 running: 3/13 shards, 1,234 rows/s, ETA 1:15", ClusterCli.Describe(progress));
        Assert.EndsWith("ETA ?, 2 failed", ClusterCli.Describe(progress with { Eta = null, ItemsFailed = 2 }), StringComparison.Ordinal);
        Assert.Equal("job 01234567 completed: 13/13 shards, 1,234 rows/s", ClusterCli.Describe(progress with { Status = Tlc.Cluster.JobStatus.Completed, ItemsCommitted = 13, Eta = null }));
    }

    [Fact]
    public void Describe_ImportJob_NamesItsChunksAndErrors()
    {
        var progress = new Tlc.Cluster.JobProgress
        {
            JobId = "fedcba9876543210", Kind = Tlc.Cluster.JobKinds.Import, ItemNoun = "chunk", Status = Tlc.Cluster.JobStatus.Running, Items = 20, ItemsCommitted = 7,
            RowsPerSecond = 10, Errors = ["bad"],
        };

        Assert.Equal("import fedcba98 running: 7/20 chunks, 10 rows/s, ETA ?, 1 error(s)", ClusterCli.Describe(progress));
    }
}
