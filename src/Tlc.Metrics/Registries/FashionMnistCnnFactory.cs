namespace Tlc.Metrics;

/// <summary>
/// The built-in model factory <c>fashion-mnist-cnn</c>: a <see cref="FashionMnistCnn"/> with the spec's weights (any
/// format <see cref="ModelWeights"/> reads; without weights the parameters stay freshly initialised), preprocessing
/// samples with <see cref="FashionMnist.Preprocessor"/>. Arguments (optional): <c>{"normalize": false, "image_column": "image"}</c>.
/// </summary>
public sealed class FashionMnistCnnFactory : IModelFactory
{
    /// <summary>The factory name.</summary>
    public const string FactoryName = "fashion-mnist-cnn";

    /// <inheritdoc />
    public string Name => FactoryName;

    /// <inheritdoc />
    public IPredictor Create(ModelSpec spec, ModelContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"model spec {ModelRegistry.Describe(spec)}");
        arguments.RejectUnknown("normalize", "image_column");
        var preprocess = FashionMnist.Preprocessor(arguments.Bool("normalize") ?? false, arguments.String("image_column") ?? ImagePreprocessing.DefaultColumn);
        var model = new FashionMnistCnn();
        try
        {
            if (!string.IsNullOrEmpty(spec.WeightsUrl))
            {
                ModelWeights.Load(model, spec, context);
            }
            return new Predictor(model, context.Layers, preprocess, spec.Device, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
