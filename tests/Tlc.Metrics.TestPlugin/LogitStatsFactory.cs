using System.Collections;
using Tlc.Metrics;
using Tlc.Schemas;
using static TorchSharp.torch;

namespace Tlc.Metrics.TestPlugin;

/// <summary>Collector factory <c>test-plugin-logit-stats</c>: per sample, <c>logit_max</c> and <c>logit_sum</c> of the forward output.</summary>
public sealed class LogitStatsFactory : ICollectorFactory
{
    public const string FactoryName = "test-plugin-logit-stats";

    public string Name => FactoryName;

    public IMetricsCollector Create(CollectorSpec spec) => new FunctionalCollector(
        (batch, output) =>
        {
            using var scope = NewDisposeScope();
            var logits = output.Forward.cpu();
            return new Dictionary<string, IList>
            {
                ["logit_max"] = logits.max(1).values.data<float>().ToArray(),
                ["logit_sum"] = logits.sum(1).data<float>().ToArray(),
            };
        },
        new Dictionary<string, ColumnSchema> { ["logit_max"] = new Float32Schema(), ["logit_sum"] = new Float32Schema() });
}

/// <summary>Not registered by plugin loading: no parameterless constructor.</summary>
public sealed class NeedsArgumentsFactory(string name) : ICollectorFactory
{
    public string Name => name;

    public IMetricsCollector Create(CollectorSpec spec) => throw new NotSupportedException();
}

/// <summary>Not registered by plugin loading: not public.</summary>
internal sealed class HiddenFactory : ICollectorFactory
{
    public string Name => "test-plugin-hidden";

    public IMetricsCollector Create(CollectorSpec spec) => throw new NotSupportedException();
}
