using Tlc.Tables.Sampling;
using static TorchSharp.torch;

namespace Tlc.Metrics.Tests;

/// <summary>The data loader over the real Fashion-MNIST test split: order, batching, collation, errors, early exit.</summary>
public sealed class DataLoaderTests(FashionMnistTestSplit split) : IClassFixture<FashionMnistTestSplit>
{
    private (Tensor Input, long Label) Sample(Tables.TableRow row) =>
        (tensor(new[] { (float)row.Index, 1f }), Convert.ToInt64(row["label"], System.Globalization.CultureInfo.InvariantCulture));

    [Fact(Timeout = 60_000)]
    public void Batches_FollowTheSamplerOrder_LastOneSmaller_DropLastLeavesItOut()
    {
        var view = split.Table.WithTransform(Sample);
        var indices = Samplers.ForRank(Samplers.Weighted(Enumerable.Repeat(1f, view.Count).ToArray(), seed: 3, samples: 1_000), 1, 3).ToArray();
        var loader = new DataLoader<(Tensor Input, long Label), TensorBatch>(view, indices, Collate.Stack, new DataLoaderOptions { BatchSize = 64, DecodeThreads = 2 });

        var rows = new List<long>();
        var sizes = new List<long>();
        foreach (var batch in loader)
        {
            using (batch)
            {
                Assert.Equal([batch.Count, 2L], batch.Inputs.shape);
                rows.AddRange(batch.Inputs.select(1, 0).data<float>().Select(v => (long)v));
                var labels = batch.Labels.data<long>().ToArray();
                Assert.Equal(rows.Skip(rows.Count - labels.Length).Select(r => Convert.ToInt64(split.Table.Rows[(int)r]["label"], System.Globalization.CultureInfo.InvariantCulture)), labels);
                sizes.Add(batch.Count);
            }
        }

        Assert.Equal(indices, rows);
        Assert.Equal(333, loader.Samples);
        Assert.Equal([.. Enumerable.Repeat(64L, 5), 13L], sizes);
        var dropped = new DataLoader<(Tensor Input, long Label), TensorBatch>(view, indices, Collate.Stack, new DataLoaderOptions { BatchSize = 64, DropLast = true });
        Assert.Equal((5, 320), (dropped.Count, dropped.Samples));
        Assert.Equal(5, dropped.Select(b => { b.Dispose(); return 1; }).Sum());
    }

    [Fact(Timeout = 60_000)]
    public void TransformFails_TheErrorNamesTheItemAndTable_LeavingEarly_StopsCleanly()
    {
        var view = split.Table.WithTransform(row => row.Index == 70 ? throw new FormatException("bad pixels") : Sample(row));
        var loader = new DataLoader<(Tensor Input, long Label), TensorBatch>(view, Enumerable.Range(0, 200).Select(i => (long)i), Collate.Stack, new DataLoaderOptions { BatchSize = 32 });

        var error = Assert.Throws<InvalidOperationException>(() =>
        {
            foreach (var batch in loader)
            {
                batch.Dispose();
            }
        });
        Assert.Contains("Item 70 of the view of", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad pixels", error.Message, StringComparison.Ordinal);
        using var first = loader.First();
        Assert.Equal(32, first.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader<(Tensor Input, long Label), TensorBatch>(view, [10_000], Collate.Stack));
    }
}
