using Tlc.Tables;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// A predictor over a TorchSharp module (3LC's <c>Predictor(model, layers, preprocess_fn, device)</c>): runs the model in
/// eval mode under <c>no_grad</c> and captures the outputs of the modules at <see cref="Layers"/> — indices into
/// PyTorch's <c>named_modules()</c> order (<see cref="NamedModules"/>: 0 is the root) — with forward hooks, detached and
/// moved to the CPU, into <see cref="PredictorOutput.HiddenLayers"/>.
/// </summary>
/// <remarks>
/// TorchSharp fires forward hooks only when a module is invoked with <c>call(x)</c>, not <c>forward(x)</c>: a model whose
/// layers should be captured must invoke its sub-modules with <c>call</c>. <see cref="Predict"/> is meant for one
/// inference thread at a time (calls are serialised). The model is moved to the device when the predictor is made; its
/// training mode is restored after each prediction.
/// </remarks>
public sealed class Predictor : IPredictor
{
    private readonly nn.IModule<Tensor, Tensor> _call;
    private readonly Func<TableRow, Tensor> _preprocess;
    private readonly bool _ownsModel;
    private readonly List<Action> _unhook = [];
    private readonly Lock _gate = new();
    private Dictionary<int, Tensor>? _capture;
    private bool _disposed;

    /// <summary>Wraps <paramref name="model"/>.</summary>
    /// <param name="model">The model: a module whose forward takes one tensor and returns one (<c>nn.Module&lt;Tensor, Tensor&gt;</c>, or a TorchScript module loaded as such).</param>
    /// <param name="layers">Indices into <c>named_modules()</c> (PyTorch's order, 0 = the model itself) whose outputs to capture.</param>
    /// <param name="preprocess">Sample → model input without the batch dimension; default <see cref="ImagePreprocessing.Default"/>.</param>
    /// <param name="device">"cpu", "cuda", "cuda:N" or "auto" (see <see cref="Devices"/>).</param>
    /// <param name="ownsModel">Whether disposing the predictor disposes the model.</param>
    public Predictor(nn.Module model, IEnumerable<int>? layers = null, Func<TableRow, Tensor>? preprocess = null, string device = Devices.Cpu, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        _call = model as nn.IModule<Tensor, Tensor>
            ?? throw new ArgumentException($"The model ({model.GetType().Name}) must take one tensor and return one (nn.Module<Tensor, Tensor>).", nameof(model));
        Model = model;
        _preprocess = preprocess ?? ImagePreprocessing.Default;
        _ownsModel = ownsModel;
        Device = Devices.Resolve(device);
        Layers = (layers ?? []).Distinct().Order().ToArray();
        if (Layers.Count > 0 && Layers[0] < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(layers), Layers[0], "Layer indices must be at least 0.");
        }
        if (Layers.Any(l => l > 0))
        {
            var modules = NamedModules.Of(model);
            foreach (var index in Layers.Where(l => l > 0))
            {
                if (index >= modules.Count)
                {
                    throw new ArgumentOutOfRangeException(nameof(layers), index,
                        $"Layer {index} does not exist: the model has {modules.Count} modules ({NamedModules.Describe(model)}).");
                }
                var (name, module) = modules[index];
                if (module is not nn.Module<Tensor, Tensor> hookable)
                {
                    throw new ArgumentException(
                        $"Layer {index} ('{name}', {module.GetType().Name}) cannot be captured: only modules whose forward takes and returns one tensor can be hooked.", nameof(layers));
                }
                var captured = index;
                var remover = hookable.register_forward_hook((_, _, output) =>
                {
                    Capture(captured, output);
                    return output;
                });
                _unhook.Add(remover.remove);
            }
        }
        model.to(Device);
    }

    /// <summary>The wrapped model.</summary>
    public nn.Module Model { get; }

    /// <inheritdoc />
    public Device Device { get; }

    /// <inheritdoc />
    public IReadOnlyList<int> Layers { get; }

    /// <inheritdoc />
    public Tensor Preprocess(TableRow sample) => _preprocess(sample);

    /// <inheritdoc />
    public PredictorOutput Predict(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var wasTraining = Model.training;
            if (wasTraining)
            {
                Model.eval();
            }
            var captured = new Dictionary<int, Tensor>();
            _capture = captured;
            Tensor output;
            try
            {
                var x = input.to(Device);
                output = _call.call(x);
            }
            finally
            {
                _capture = null;
                if (wasTraining)
                {
                    Model.train();
                }
            }
            if (Layers.Count > 0 && Layers[0] == 0)
            {
                captured[0] = output.detach().cpu();
            }
            var forward = output.detach();
            scope.MoveToOuter(forward);
            scope.MoveToOuter(captured.Values);
            return new PredictorOutput(forward, captured);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            foreach (var remove in _unhook)
            {
                remove();
            }
            if (_ownsModel)
            {
                Model.Dispose();
            }
        }
    }

    private void Capture(int index, Tensor output)
    {
        if (_capture is not { } capture)
        {
            return;
        }
        if (capture.Remove(index, out var earlier))
        {
            earlier.Dispose(); // a module called twice: the last call wins, as with PyTorch hooks that overwrite
        }
        capture[index] = output.detach().cpu();
    }
}
