using Tlc.Tables;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// Turns samples into model input and runs the model (3LC's <c>Predictor</c>). <see cref="Preprocess"/> runs on decode
/// threads; <see cref="Predict"/> runs on one dedicated inference thread, under <c>no_grad</c> and a dispose scope that
/// never cross an await.
/// </summary>
public interface IPredictor : IDisposable
{
    /// <summary>The device the model runs on.</summary>
    Device Device { get; }

    /// <summary>The layer indices (into <c>named_modules()</c>) whose activations <see cref="Predict"/> captures.</summary>
    IReadOnlyList<int> Layers { get; }

    /// <summary>The model input of one sample, without the batch dimension (on the CPU).</summary>
    Tensor Preprocess(TableRow sample);

    /// <summary>Runs the model on a batch of inputs (batch dimension first); the caller disposes the output.</summary>
    PredictorOutput Predict(Tensor input);
}
