using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using Tlc.Tables;
using Tlc.Tables.Urls;
using static TorchSharp.torch;

namespace Tlc.Metrics.Onnx;

/// <summary>
/// A predictor over an ONNX model run by ONNX Runtime on its CPU execution provider (the <see cref="ModelKinds.Onnx"/>
/// model spec): real pretrained weights often exist only as ONNX. <see cref="Preprocess(TableRow)"/> turns a sample's image into the
/// model input (<see cref="ImageTensors"/>); <see cref="Predict"/> runs the model and returns the chosen output as a
/// TorchSharp tensor in <see cref="PredictorOutput.Forward"/>.
/// </summary>
/// <remarks>
/// Layers: ONNX graphs have no <c>named_modules()</c>, so a layer index names a model output instead: layer k is
/// <see cref="OutputNames"/>[k], captured in <see cref="PredictorOutput.HiddenLayers"/>[k] (a model exporting intermediate
/// tensors as extra outputs exposes them this way). A model whose input has a fixed batch size of 1, or no batch dimension,
/// runs sample by sample; the outputs are stacked.
/// </remarks>
public sealed class OnnxPredictor : IPredictor
{
    private readonly InferenceSession _session;
    private readonly OnnxPredictorOptions _options;
    private readonly UrlAdapterRegistry _adapters;
    private readonly string? _temporaryCopy;
    private readonly int[] _layers;
    private readonly long[] _inputShape;
    private readonly bool _perSample;
    private readonly bool _hasBatchDimension;
    private readonly int _channels;
    private readonly int _width;
    private readonly int _height;

    /// <summary>Loads the ONNX model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">The model file.</param>
    /// <param name="options">Input, output and preprocessing; defaults when null.</param>
    /// <param name="layers">Indices into <see cref="OutputNames"/> to capture as hidden layers.</param>
    /// <param name="adapters">Reads images stored as URLs; default <see cref="UrlAdapterRegistry.Default"/>.</param>
    public OnnxPredictor(string modelPath, OnnxPredictorOptions? options = null, IReadOnlyList<int>? layers = null, UrlAdapterRegistry? adapters = null)
        : this(modelPath, null, options ?? new OnnxPredictorOptions(), layers ?? [], adapters ?? UrlAdapterRegistry.Default)
    {
    }

    private OnnxPredictor(string modelPath, string? temporaryCopy, OnnxPredictorOptions options, IReadOnlyList<int> layers, UrlAdapterRegistry adapters)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var what = $"ONNX model {modelPath}";
        options.Validate(what);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"{what} does not exist.", modelPath);
        }
        _options = options;
        _adapters = adapters;
        _temporaryCopy = temporaryCopy;
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try
        {
            _session = new InferenceSession(modelPath, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new FormatException($"{what} could not be loaded: {e.Message}", e);
        }
        try
        {
            InputName = options.InputName ?? _session.InputNames[0];
            if (!_session.InputMetadata.TryGetValue(InputName, out var input))
            {
                throw new ArgumentException($"{what} has no input '{InputName}'. Inputs: {string.Join(", ", _session.InputNames)}.");
            }
            if (input.ElementType != typeof(float))
            {
                throw new ArgumentException($"{what}: input '{InputName}' holds {input.ElementType.Name}; images feed float inputs only.");
            }
            OutputNames = [.. _session.OutputNames];
            OutputName = options.OutputName ?? OutputNames[0];
            if (!OutputNames.Contains(OutputName))
            {
                throw new ArgumentException($"{what} has no output '{OutputName}'. Outputs: {string.Join(", ", OutputNames)}.");
            }
            foreach (var layer in layers)
            {
                if (layer < 0 || layer >= OutputNames.Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(layers), layer,
                        $"{what}: layer {layer} names no output; layers index the outputs 0..{OutputNames.Count - 1} ({string.Join(", ", OutputNames)}).");
                }
            }
            _layers = [.. layers.Distinct().Order()];
            _inputShape = input.Dimensions.Select(d => (long)d).ToArray();
            _hasBatchDimension = _inputShape.Length == 4;
            if (_inputShape.Length is not (3 or 4))
            {
                throw new ArgumentException($"{what}: input '{InputName}' has shape [{string.Join(", ", _inputShape)}]; an image input has 3 or 4 dimensions.");
            }
            _perSample = !_hasBatchDimension || _inputShape[0] == 1;
            var sample = _hasBatchDimension ? _inputShape[1..] : _inputShape;
            var (c, h, w) = options.Layout == TensorLayout.Nchw ? (sample[0], sample[1], sample[2]) : (sample[2], sample[0], sample[1]);
            _channels = c > 0 ? (int)c : 3;
            _height = options.Height ?? (h > 0 ? (int)h : throw new ArgumentException($"{what}: the input height is not fixed; set height."));
            _width = options.Width ?? (w > 0 ? (int)w : throw new ArgumentException($"{what}: the input width is not fixed; set width."));
            if ((h > 0 && h != _height) || (w > 0 && w != _width))
            {
                throw new ArgumentException($"{what}: the input is fixed at {w}×{h}; images cannot be resized to {_width}×{_height}.");
            }
        }
        catch
        {
            _session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Builds the predictor of an <see cref="ModelKinds.Onnx"/> spec: the model file is <see cref="ModelSpec.WeightsUrl"/>
    /// (read through the context's URL adapters; a non-file URL is copied to a temporary file, removed on dispose), the
    /// options come from <see cref="ModelSpec.ArgumentsJson"/> (<see cref="OnnxPredictorOptions.FromJson"/>), the layers
    /// from the context. Device <c>cpu</c> or <c>auto</c> (which is the CPU here).
    /// </summary>
    /// <exception cref="ArgumentException">The spec is not an ONNX spec, has no model URL, or asks for a GPU.</exception>
    public static OnnxPredictor Create(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var what = $"model '{spec.Name}'";
        if (spec.Kind != ModelKinds.Onnx)
        {
            throw new ArgumentException($"{what} is of kind '{spec.Kind}', not '{ModelKinds.Onnx}'.", nameof(spec));
        }
        if (spec.Device is not ("cpu" or "auto"))
        {
            throw new ArgumentException($"{what}: ONNX models run on ONNX Runtime's CPU execution provider; device '{spec.Device}' is not available (use cpu or auto).", nameof(spec));
        }
        if (string.IsNullOrWhiteSpace(spec.WeightsUrl))
        {
            throw new ArgumentException($"{what}: an ONNX spec needs the model file as its weights URL.", nameof(spec));
        }
        var options = OnnxPredictorOptions.FromJson(spec.ArgumentsJson, what);
        var url = context.Adapters.Expand(new Url(spec.WeightsUrl));
        if (url.IsFile)
        {
            return new OnnxPredictor(url.LocalPath, null, options, context.Layers, context.Adapters);
        }
        var copy = Path.Combine(Path.GetTempPath(), $"tlc-onnx-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var source = context.Adapters.OpenRead(url))
            using (var target = File.Create(copy))
            {
                source.CopyTo(target);
            }
            return new OnnxPredictor(copy, copy, options, context.Layers, context.Adapters);
        }
        catch
        {
            File.Delete(copy);
            throw;
        }
    }

    /// <summary>The model input fed with images.</summary>
    public string InputName { get; }

    /// <summary>The model output returned as <see cref="PredictorOutput.Forward"/>.</summary>
    public string OutputName { get; }

    /// <summary>The model's outputs in order; layer k is output k.</summary>
    public IReadOnlyList<string> OutputNames { get; }

    /// <summary>The shape of one preprocessed sample (no batch dimension).</summary>
    public long[] SampleShape => _options.Layout == TensorLayout.Nchw ? [_channels, _height, _width] : [_height, _width, _channels];

    /// <inheritdoc />
    public Device Device => CPU;

    /// <inheritdoc />
    public IReadOnlyList<int> Layers => _layers;

    /// <inheritdoc />
    public Tensor Preprocess(TableRow sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (!sample.TryGetValue(_options.ImageColumn, out var value))
        {
            throw new KeyNotFoundException($"Row {sample.Index} has no image column '{_options.ImageColumn}'. Columns: {string.Join(", ", sample.Keys)}.");
        }
        return Preprocess(ImageTensors.Read(value, _adapters, $"row {sample.Index}, column '{_options.ImageColumn}'"));
    }

    /// <summary>The model input of one image, without the batch dimension.</summary>
    public Tensor Preprocess(Tlc.Tables.Samples.ImageSample image) =>
        tensor(ImageTensors.ToValues(image, _width, _height, _channels, _options), SampleShape);

    /// <inheritdoc />
    public PredictorOutput Predict(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var expected = SampleShape;
        if (input.dim() != 4 || !input.shape[1..].SequenceEqual(expected))
        {
            throw new ArgumentException($"The input must be [B, {string.Join(", ", expected)}]; got [{string.Join(", ", input.shape)}].", nameof(input));
        }
        var batch = (int)input.shape[0];
        float[] data;
        using (var values = input.detach().to(ScalarType.Float32).cpu().contiguous())
        {
            data = values.data<float>().ToArray();
        }
        var wanted = new List<string> { OutputName };
        wanted.AddRange(_layers.Select(l => OutputNames[l]).Where(n => n != OutputName));
        var runs = _perSample ? batch : 1;
        var perRun = data.Length / runs;
        var collected = wanted.ToDictionary(n => n, _ => new List<Tensor>(runs));
        try
        {
            for (var r = 0; r < runs; r++)
            {
                long[] shape = _perSample
                    ? (_hasBatchDimension ? [1, .. expected] : expected)
                    : [batch, .. expected];
                using var value = OrtValue.CreateTensorValueFromMemory(data.AsSpan(r * perRun, perRun).ToArray(), shape);
                using var runOptions = new RunOptions();
                using var outputs = _session.Run(runOptions, [InputName], [value], wanted);
                for (var k = 0; k < wanted.Count; k++)
                {
                    var t = ToTensor(outputs[k], wanted[k]);
                    collected[wanted[k]].Add(_perSample && !_hasBatchDimension ? t.unsqueeze(0) : t);
                }
            }
            var merged = collected.ToDictionary(kv => kv.Key, kv => kv.Value.Count == 1 ? kv.Value[0].alias() : cat(kv.Value, 0));
            var forward = merged[OutputName];
            var hidden = _layers.ToDictionary(l => l, l => OutputNames[l] == OutputName ? forward.alias() : merged[OutputNames[l]]);
            return new PredictorOutput(forward, hidden);
        }
        finally
        {
            foreach (var list in collected.Values)
            {
                foreach (var t in list)
                {
                    t.Dispose();
                }
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _session.Dispose();
        if (_temporaryCopy is not null)
        {
            File.Delete(_temporaryCopy);
        }
    }

    private static Tensor ToTensor(OrtValue value, string name)
    {
        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        return info.ElementDataType switch
        {
            TensorElementType.Float => tensor(value.GetTensorDataAsSpan<float>().ToArray(), shape),
            TensorElementType.Double => tensor(value.GetTensorDataAsSpan<double>().ToArray(), shape),
            TensorElementType.Int64 => tensor(value.GetTensorDataAsSpan<long>().ToArray(), shape),
            TensorElementType.Int32 => tensor(value.GetTensorDataAsSpan<int>().ToArray(), shape),
            var other => throw new NotSupportedException($"Output '{name}' holds {other}; float, double, int64 and int32 outputs are supported."),
        };
    }
}
