using Tlc.Metrics;
using TorchSharp;
using static TorchSharp.torch;

namespace Tlc.Metrics.TestPlugin;

/// <summary>
/// Model factory <c>test-plugin-tiny</c>: flatten + linear 784 → 3 with weights fixed by formula (no file needed), on
/// Fashion-MNIST preprocessing. Its named modules: 0 root, 1 flatten, 2 linear. Argument <c>{"scale": s}</c> multiplies
/// the weights.
/// </summary>
public sealed class TinyLinearFactory : IModelFactory
{
    public const string FactoryName = "test-plugin-tiny";

    public string Name => FactoryName;

    public IPredictor Create(ModelSpec spec, ModelContext context)
    {
        var arguments = SpecArguments.Parse(spec.ArgumentsJson, $"model spec '{spec.Name}'");
        arguments.RejectUnknown("scale");
        var scale = arguments.Read("scale", n => n.GetValue<float>(), "a number");
        return new Predictor(new TinyLinear(scale == 0 ? 1f : scale), context.Layers, FashionMnist.Preprocess, spec.Device, ownsModel: true);
    }

    /// <summary>The expected logits of an input [784] (for the tests): w[j, i] = ((i + j) % 7 - 3) / 100 · scale, b = (0.1, 0, -0.1).</summary>
    public static float[] Expected(float[] pixels, float scale = 1f)
    {
        var logits = new float[3];
        for (var j = 0; j < 3; j++)
        {
            double sum = 0;
            for (var i = 0; i < pixels.Length; i++)
            {
                sum += pixels[i] * (((i + j) % 7) - 3) / 100.0 * scale;
            }
            logits[j] = (float)(sum + (0.1 * (1 - j)));
        }
        return logits;
    }

    private sealed class TinyLinear : nn.Module<Tensor, Tensor>
    {
        private readonly TorchSharp.Modules.Flatten flatten;
        private readonly TorchSharp.Modules.Linear linear;

        public TinyLinear(float scale)
            : base(nameof(TinyLinear))
        {
            flatten = nn.Flatten();
            linear = nn.Linear(784, 3);
            using (no_grad())
            {
                var w = new float[3 * 784];
                for (var j = 0; j < 3; j++)
                {
                    for (var i = 0; i < 784; i++)
                    {
                        w[(j * 784) + i] = (((i + j) % 7) - 3) / 100f * scale;
                    }
                }
                linear.weight!.copy_(tensor(w, [3, 784]));
                linear.bias!.copy_(tensor(new[] { 0.1f, 0f, -0.1f }));
            }
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var flat = flatten.call(input);
            return linear.call(flat);
        }
    }
}
