using System.Diagnostics;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Sampling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Trains an image classifier with cross entropy on the CPU: on a table (rows decoded and preprocessed by a
/// <see cref="DataLoader{T, TBatch}"/> on decode threads while the previous batch trains, picked each epoch by a sampler over the table's <c>weight</c> column — 3LC's weighted and repeat-by-weight
/// sampling) or on tensors in memory. Seeded: the same seed, data, options and torch thread count train the same model.
/// Runs on the calling thread (dispose scopes are per thread); the model is left in eval mode.
/// </summary>
public static class ClassifierTrainer
{
    /// <summary>Trains on rows of <paramref name="table"/>: input by <paramref name="preprocess"/>, class index from <see cref="ClassifierTrainerOptions.LabelColumn"/>.</summary>
    public static IReadOnlyList<EpochResult> Train(
        nn.Module<Tensor, Tensor> model,
        Table table,
        Func<TableRow, Tensor> preprocess,
        ClassifierTrainerOptions options,
        Action<EpochResult>? onEpoch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(preprocess);
        ArgumentNullException.ThrowIfNull(options);
        if (!table.Schema.Contains(options.LabelColumn))
        {
            throw new ArgumentException($"{table.Url} has no label column '{options.LabelColumn}' (columns: {string.Join(", ", table.Schema.Names)}).", nameof(options));
        }
        float[]? weights = options.Sampling is SamplingMode.Weighted or SamplingMode.RepeatByWeight ? Samplers.Weights(table) : null;
        var view = table.WithTransform(sample => (Input: preprocess(sample), Label: LabelOf(sample, options.LabelColumn)));
        var loading = new DataLoaderOptions { BatchSize = Math.Max(1, options.BatchSize), DecodeThreads = Math.Max(1, options.DecodeThreads) };
        // Decoding overlaps training: the loader makes the next batches while this one trains.
        return Run(model, table.RowCount, epoch => new DataLoader<(Tensor Input, long Label), TensorBatch>(
            view, EpochRows(table.RowCount, weights, options, epoch), Collate.Stack, loading), options, onEpoch, cancellationToken);
    }

    /// <summary>Trains on in-memory data: <paramref name="inputs"/> [N, ...] float and <paramref name="labels"/> [N] int64 class indices (shuffled or sequential sampling).</summary>
    public static IReadOnlyList<EpochResult> Train(
        nn.Module<Tensor, Tensor> model,
        Tensor inputs,
        Tensor labels,
        ClassifierTrainerOptions options,
        Action<EpochResult>? onEpoch = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        if (labels.dim() != 1 || inputs.shape[0] != labels.shape[0])
        {
            throw new ArgumentException($"Inputs [{string.Join(", ", inputs.shape)}] and labels [{string.Join(", ", labels.shape)}] do not pair up.", nameof(labels));
        }
        if (options.Sampling is SamplingMode.Weighted or SamplingMode.RepeatByWeight)
        {
            throw new ArgumentException($"{options.Sampling} sampling needs a table with a weight column.", nameof(options));
        }
        var count = inputs.shape[0];
        var targets = labels.to(ScalarType.Int64);
        try
        {
            return Run(model, count, epoch => InMemory(inputs, targets, EpochRows(count, null, options, epoch), Math.Max(1, options.BatchSize)), options, onEpoch, cancellationToken);
        }
        finally
        {
            if (!ReferenceEquals(targets, labels))
            {
                targets.Dispose();
            }
        }
    }

    private static IEnumerable<TensorBatch> InMemory(Tensor inputs, Tensor targets, long[] rows, int batchSize)
    {
        for (var at = 0; at < rows.Length; at += batchSize)
        {
            using var index = tensor(rows.AsSpan(at, Math.Min(batchSize, rows.Length - at)).ToArray());
            yield return new TensorBatch(inputs.index_select(0, index), targets.index_select(0, index));
        }
    }

    private static long[] EpochRows(long count, float[]? weights, ClassifierTrainerOptions options, int epoch)
    {
        var seed = unchecked(options.Seed + epoch);
        return options.Sampling switch
        {
            SamplingMode.Sequential => [.. Samplers.Sequential(count)],
            SamplingMode.Weighted => [.. Samplers.Weighted(weights!, seed, options.SamplesPerEpoch)],
            SamplingMode.RepeatByWeight => [.. Samplers.RepeatByWeight(weights!, seed)],
            _ => options.SamplesPerEpoch is { } n && n < count ? Shuffled(count, seed)[..(int)n] : Shuffled(count, seed),
        };
    }

    private static long[] Shuffled(long count, int seed)
    {
        var rows = new long[count];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i] = i;
        }
        new Random(seed).Shuffle(rows);
        return rows;
    }

    private static long LabelOf(TableRow sample, string column) => sample.TryGetValue(column, out var value) && value is not null and not string
        ? Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"Row {sample.Index}: the label column '{column}' holds {(value is null ? "no value" : value.GetType().Name)}, not a class index.");

    private static IReadOnlyList<EpochResult> Run(
        nn.Module<Tensor, Tensor> model,
        long count,
        Func<int, IEnumerable<TensorBatch>> epochBatches,
        ClassifierTrainerOptions options,
        Action<EpochResult>? onEpoch,
        CancellationToken cancellationToken)
    {
        if (options.Epochs < 1 || options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Epochs and BatchSize must be at least 1.");
        }
        if (count == 0)
        {
            throw new ArgumentException("There is nothing to train on: no rows.", nameof(count));
        }
        torch.manual_seed(options.Seed);
        var parameters = model.parameters().ToList();
        using optim.Optimizer optimizer = options.Optimizer == OptimizerKind.Sgd
            ? optim.SGD(parameters, options.LearningRate, momentum: options.Momentum, weight_decay: options.WeightDecay)
            : optim.Adam(parameters, options.LearningRate, weight_decay: options.WeightDecay);
        var results = new List<EpochResult>();
        using var enableGrad = enable_grad();
        model.train();
        try
        {
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                var watch = Stopwatch.StartNew();
                double lossSum = 0;
                long correct = 0;
                long samples = 0;
                foreach (var batch in epochBatches(epoch))
                {
                    using var batchTensors = batch;
                    cancellationToken.ThrowIfCancellationRequested();
                    using var scope = NewDisposeScope();
                    var (inputs, labels) = (batch.Inputs, batch.Labels);
                    var size = (int)batch.Count;
                    samples += size;
                    optimizer.zero_grad();
                    var logits = model.call(inputs);
                    var loss = nn.functional.cross_entropy(logits, labels);
                    loss.backward();
                    optimizer.step();
                    lossSum += loss.item<float>() * size;
                    using (no_grad())
                    {
                        correct += logits.argmax(1).eq(labels).sum().item<long>();
                    }
                }
                var result = new EpochResult(epoch, lossSum / Math.Max(1, samples), (double)correct / Math.Max(1, samples), samples, watch.Elapsed);
                results.Add(result);
                onEpoch?.Invoke(result);
            }
        }
        finally
        {
            model.eval();
        }
        return results;
    }
}
