using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Apache.Arrow;
using Table = Tlc.Tables.Table;
using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Arrow;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// The batch loop of metrics collection, shared by in-process and cluster collection so that both produce the same
/// values: rows in order, decoded and preprocessed on decode threads, stacked into batches in order, run through the
/// model and the collectors on one dedicated inference thread (an <see cref="InferenceThread"/> of the run's own, or a
/// long-lived one shared by the runs of one model), returned as Arrow record batches of
/// <see cref="OutputSchema"/> (ready for <see cref="TableWriter.AddRecordBatch"/>).
/// </summary>
/// <remarks>
/// TorchSharp's dispose scopes and <c>no_grad</c> are per thread: the inference thread holds <c>no_grad</c> for its
/// lifetime and one dispose scope per batch, and no await happens on it. The same rows, batch size and torch thread
/// count give identical values. The number of intra-op torch threads is process-wide (<c>torch.set_num_threads</c>)
/// and left to the caller.
/// </remarks>
public static class MetricsRunner
{
    /// <summary>The column holding each output row's row index in the input table.</summary>
    public const string ExampleIdColumn = "example_id";

    private const int QueuedBatches = 2;

    /// <summary>
    /// The schema of the output rows: <c>example_id</c> (<see cref="ExampleIdSchema"/>), then each collector's columns
    /// in collector order, then one column per constant (<see cref="ConstantSchema"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Two collectors (or a collector and a constant) name the same column.</exception>
    public static TableSchema OutputSchema(TableSchema input, IReadOnlyList<IMetricsCollector> collectors, IReadOnlyDictionary<string, object?>? constants)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(collectors);
        var schema = new TableSchema { [ExampleIdColumn] = new ExampleIdSchema() };
        for (var c = 0; c < collectors.Count; c++)
        {
            var collector = collectors[c] ?? throw new ArgumentException($"Collector {c} is null.", nameof(collectors));
            foreach (var (name, column) in collector.Columns(input))
            {
                if (schema.Contains(name))
                {
                    throw new ArgumentException($"Column '{name}' of collector {c} ({collector.GetType().Name}) is already an output column ({string.Join(", ", schema.Names)}).", nameof(collectors));
                }
                schema.Add(name, column);
            }
        }
        foreach (var (name, value) in constants ?? new Dictionary<string, object?>())
        {
            if (schema.Contains(name))
            {
                throw new ArgumentException($"Constant '{name}' names a column that is already an output column ({string.Join(", ", schema.Names)}).", nameof(constants));
            }
            schema.Add(name, ConstantSchema(name, value));
        }
        return schema;
    }

    /// <summary>
    /// The column schema of a constant (3LC's inference): integers → <see cref="Int32Schema"/> (<see cref="Int64Schema"/>
    /// beyond 32 bits) except <c>epoch</c> → <see cref="EpochSchema"/>; floating point → <see cref="Float32Schema"/>;
    /// strings → <see cref="StringSchema"/>; bools → <see cref="BoolSchema"/>; timestamps → <see cref="DateTimeSchema"/>.
    /// JSON values (<see cref="JsonElement"/>, <see cref="JsonNode"/>) are read the same way, so constants that crossed a
    /// wire as JSON give the same columns.
    /// </summary>
    public static ColumnSchema ConstantSchema(string name, object? value)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var normal = ConstantValue(name, value);
        return normal switch
        {
            int when name == "epoch" => new EpochSchema(),
            long when name == "epoch" => throw new ArgumentException($"Constant 'epoch' = {normal} is out of range of an epoch.", nameof(value)),
            int => new Int32Schema(),
            long => new Int64Schema(),
            ulong => new UInt64Schema(),
            float => new Float32Schema(),
            string => new StringSchema(),
            bool => new BoolSchema(),
            DateTimeOffset => new DateTimeSchema(),
            _ => throw new ArgumentException($"Constant '{name}' has a value of type {normal.GetType().Name}; use a number, string, bool or timestamp.", nameof(value)),
        };
    }

    /// <summary>A constant as the value its column stores (see <see cref="ConstantSchema"/>).</summary>
    private static object ConstantValue(string name, object? value) => value switch
    {
        null => throw new ArgumentException($"Constant '{name}' is null; constants need a value.", nameof(value)),
        JsonNode node => ConstantValue(name, JsonSerializer.Deserialize<JsonElement>(node.ToJsonString())),
        JsonElement { ValueKind: JsonValueKind.Number } e => e.TryGetInt32(out var i) ? i : e.TryGetInt64(out var l) ? (object)l : (float)e.GetDouble(),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString()!,
        JsonElement { ValueKind: JsonValueKind.True } => true,
        JsonElement { ValueKind: JsonValueKind.False } => false,
        JsonElement e => throw new ArgumentException($"Constant '{name}' is a JSON {e.ValueKind.ToString().ToLowerInvariant()}; use a number, string or bool.", nameof(value)),
        int or short or sbyte or byte or ushort => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture),
        long l => l is >= int.MinValue and <= int.MaxValue ? (int)l : (object)l,
        uint u => u <= int.MaxValue ? (int)u : (object)(long)u,
        ulong u => u <= int.MaxValue ? (int)u : u <= long.MaxValue ? (object)(long)u : u,
        float f => f,
        double d => (float)d,
        decimal m => (float)m,
        string s => s,
        bool b => b,
        DateTimeOffset d => d,
        DateTime d => new DateTimeOffset(d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d),
        _ => value,
    };

    /// <summary>
    /// Runs <paramref name="predictor"/> and <paramref name="collectors"/> over rows [<paramref name="start"/>,
    /// <paramref name="end"/>) of <paramref name="table"/> (less zero-weight rows when asked), in row order, one record
    /// batch per model batch, with the columns of <see cref="OutputSchema"/>. Cancelling (or leaving the enumeration
    /// early) stops the decode and inference threads and disposes every tensor.
    /// </summary>
    /// <exception cref="ArgumentException">Bad range or options, or a collector reads a layer the predictor does not capture.</exception>
    public static IAsyncEnumerable<RecordBatch> RunAsync(
        Table table,
        long start,
        long end,
        IPredictor predictor,
        IReadOnlyList<IMetricsCollector> collectors,
        MetricsRunOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(collectors);
        ArgumentNullException.ThrowIfNull(options);
        if (start < 0 || end < start || end > table.RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"Rows [{start}, {end}) are not within the {table.RowCount} rows of {table.Url}.");
        }
        if (options.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "BatchSize must be at least 1.");
        }
        if (options.DecodeThreads < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.DecodeThreads, "DecodeThreads must be at least 1.");
        }
        foreach (var collector in collectors)
        {
            var missing = collector.Layers.Except(predictor.Layers).ToList();
            if (missing.Count > 0)
            {
                throw new ArgumentException(
                    $"{collector.GetType().Name} reads layers {string.Join(", ", missing)}, which the predictor does not capture (it captures: {string.Join(", ", predictor.Layers)}).", nameof(collectors));
            }
        }
        var schema = OutputSchema(table.Schema, collectors, options.Constants);
        var plan = new Plan(
            table,
            schema,
            ArrowSchemas.ToArrowSchema(schema),
            collectors.Select(c => c.Columns(table.Schema).ToArray()).ToArray(),
            (options.Constants ?? new Dictionary<string, object?>()).Select(kv => (kv.Key, ConstantValue(kv.Key, kv.Value))).ToArray());
        return Run(plan, start, end, predictor, collectors, options, cancellationToken);
    }

    private sealed record Plan(
        Table Table,
        TableSchema Schema,
        Apache.Arrow.Schema ArrowSchema,
        KeyValuePair<string, ColumnSchema>[][] CollectorColumns,
        (string Name, object Value)[] Constants);

    private static async IAsyncEnumerable<RecordBatch> Run(
        Plan plan,
        long start,
        long end,
        IPredictor predictor,
        IReadOnlyList<IMetricsCollector> collectors,
        MetricsRunOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var rows = SelectRows(plan.Table, start, end, options.ExcludeZeroWeights);
        var batches = Channel.CreateBounded<SampleBatch>(new BoundedChannelOptions(QueuedBatches) { SingleReader = true, SingleWriter = true });
        var results = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(QueuedBatches) { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var decoding = Task.Run(() => Decode(plan.Table, rows, predictor, options, batches.Writer, stop.Token), CancellationToken.None);
        // A thread of the run's own unless the caller shares one (a worker keeps one per loaded model).
        var own = options.Inference is null ? new InferenceThread() : null;
        var thread = options.Inference ?? own!;
        var inference = Task.Run(() => InferOnAsync(thread, plan, predictor, collectors, batches.Reader, results.Writer, stop.Token), CancellationToken.None);
        try
        {
            await foreach (var batch in results.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return batch;
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(decoding, inference).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            own?.Dispose();
            while (batches.Reader.TryRead(out var left))
            {
                left.Dispose();
            }
        }
    }

    private static long[] SelectRows(Table table, long start, long end, bool excludeZeroWeights)
    {
        var weightColumn = excludeZeroWeights ? table.Schema.FirstOrDefault(kv => kv.Value is SampleWeightSchema).Key : null;
        if (weightColumn is null)
        {
            var all = new long[end - start];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = start + i;
            }
            return all;
        }
        var rows = new List<long>();
        var column = table.Column(weightColumn);
        long offset = 0;
        for (var k = 0; k < column.ArrayCount && offset < end; k++)
        {
            var array = (FloatArray)column.ArrowArray(k);
            for (var j = 0; j < array.Length; j++)
            {
                var row = offset + j;
                if (row >= start && row < end && array.GetValue(j) is > 0f)
                {
                    rows.Add(row);
                }
            }
            offset += array.Length;
        }
        return [.. rows];
    }

    private static async Task Decode(Table table, long[] rows, IPredictor predictor, MetricsRunOptions options, ChannelWriter<SampleBatch> writer, CancellationToken token)
    {
        try
        {
            var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.DecodeThreads, CancellationToken = token };
            for (var at = 0; at < rows.Length; at += options.BatchSize)
            {
                token.ThrowIfCancellationRequested();
                var ids = rows.AsSpan(at, Math.Min(options.BatchSize, rows.Length - at)).ToArray();
                var samples = new TableRow[ids.Length];
                var inputs = new Tensor[ids.Length];
                SampleBatch? batch = null;
                try
                {
                    try
                    {
                        Parallel.For(0, ids.Length, parallel, i =>
                        {
                            try
                            {
                                samples[i] = table.Sample(ids[i]);
                                inputs[i] = predictor.Preprocess(samples[i]);
                            }
                            catch (Exception e) when (e is not OperationCanceledException)
                            {
                                var row = $"Row {ids[i]}";
                                throw new InvalidOperationException(
                                    e.Message.StartsWith(row, StringComparison.Ordinal) ? $"{table.Url}: {e.Message}" : $"{row} of {table.Url}: {e.Message}", e);
                            }
                        });
                    }
                    catch (AggregateException e) when (e.InnerExceptions.Count > 0)
                    {
                        throw e.InnerExceptions.OrderBy(x => x.Message, StringComparer.Ordinal).First();
                    }
                    batch = new SampleBatch(ids, samples, Stack(inputs, ids)) { Schema = table.Schema };
                }
                finally
                {
                    foreach (var input in inputs)
                    {
                        input?.Dispose();
                    }
                }
                await writer.WriteOrDisposeAsync(batch, token).ConfigureAwait(false);
            }
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
        }
    }

    private static Tensor Stack(Tensor[] inputs, long[] ids)
    {
        var shape = inputs[0].shape;
        for (var i = 1; i < inputs.Length; i++)
        {
            if (!inputs[i].shape.SequenceEqual(shape) || inputs[i].dtype != inputs[0].dtype)
            {
                throw new InvalidOperationException(
                    $"Rows {ids[0]} and {ids[i]} preprocess to different inputs ([{string.Join(", ", shape)}] {inputs[0].dtype} vs [{string.Join(", ", inputs[i].shape)}] {inputs[i].dtype}); a batch needs one shape.");
            }
        }
        return stack(inputs);
    }

    /// <summary>Runs each batch through the model and collectors on <paramref name="thread"/>, in order, and passes on the results.</summary>
    private static async Task InferOnAsync(
        InferenceThread thread,
        Plan plan,
        IPredictor predictor,
        IReadOnlyList<IMetricsCollector> collectors,
        ChannelReader<SampleBatch> batches,
        ChannelWriter<RecordBatch> results,
        CancellationToken token)
    {
        try
        {
            await foreach (var batch in batches.ReadAllAsync(token).ConfigureAwait(false))
            {
                RecordBatch result;
                using (batch)
                {
                    // Completes only once the work ran or was skipped: the batch is not disposed under it.
                    result = await thread.RunAsync(() => Infer(plan, predictor, collectors, batch), token).ConfigureAwait(false);
                }
                await results.WriteAsync(result, token).ConfigureAwait(false);
            }
            results.TryComplete();
        }
        catch (Exception e)
        {
            results.TryComplete(e);
        }
    }

    private static RecordBatch Infer(Plan plan, IPredictor predictor, IReadOnlyList<IMetricsCollector> collectors, SampleBatch batch)
    {
        using var scope = NewDisposeScope();
        using var output = predictor.Predict(batch.Input);
        var arrays = new List<IArrowArray>(plan.Schema.Count) { ArrowColumns.Build(ExampleIdColumn, plan.Schema[ExampleIdColumn], batch.ExampleIds, batch.ExampleIds) };
        for (var c = 0; c < collectors.Count; c++)
        {
            var values = collectors[c].Collect(batch, output);
            foreach (var (name, column) in plan.CollectorColumns[c])
            {
                if (!values.TryGetValue(name, out var list) || list is null)
                {
                    throw new InvalidOperationException($"{collectors[c].GetType().Name} returned no column '{name}' (returned: {string.Join(", ", values.Keys)}).");
                }
                if (list.Count != batch.Count)
                {
                    throw new InvalidOperationException($"{collectors[c].GetType().Name} returned {list.Count} values of '{name}' for a batch of {batch.Count} rows (from example {batch.ExampleIds[0]}).");
                }
                arrays.Add(ArrowColumns.Build(name, column, list, batch.ExampleIds));
            }
        }
        foreach (var (name, value) in plan.Constants)
        {
            var repeated = new object[batch.Count];
            System.Array.Fill(repeated, value);
            arrays.Add(ArrowColumns.Build(name, plan.Schema[name], repeated, batch.ExampleIds));
        }
        return new RecordBatch(plan.ArrowSchema, arrays, batch.Count);
    }
}
