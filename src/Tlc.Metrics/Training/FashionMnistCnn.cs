using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>
/// A small CNN for 28×28 gray images with 10 classes (Fashion-MNIST): conv-relu-pool ×2, linear-relu, linear. The same
/// architecture in PyTorch (tests/fixtures/make_torch_parity.py) has the same parameter names, so its state dicts load
/// into this module.
/// </summary>
/// <remarks>
/// Its modules in PyTorch's <c>named_modules()</c> order — the indices of predictor and embeddings layers:
/// 0 (root), 1 <c>conv1</c> Conv2d(1→16, 3×3, pad 1), 2 <c>relu1</c>, 3 <c>pool1</c> MaxPool2d(2), 4 <c>conv2</c>
/// Conv2d(16→32, 3×3, pad 1), 5 <c>relu2</c>, 6 <c>pool2</c> MaxPool2d(2), 7 <c>flatten</c>, 8 <c>fc1</c>
/// Linear(1568→128), 9 <c>relu3</c>, 10 <c>fc2</c> Linear(128→10). The penultimate activation, the 128-value embedding,
/// is <see cref="EmbeddingLayer"/> (9). Input [B, 1, 28, 28], output logits [B, 10].
/// </remarks>
public sealed class FashionMnistCnn : nn.Module<Tensor, Tensor>
{
    /// <summary>The index of the penultimate activation (after <c>fc1</c> and its ReLU): the embedding layer.</summary>
    public const int EmbeddingLayer = 9;

    /// <summary>The length of the embedding at <see cref="EmbeddingLayer"/>.</summary>
    public const int EmbeddingSize = 128;

    /// <summary>The number of classes (logits).</summary>
    public const int ClassCount = 10;

#pragma warning disable IDE1006, SA1306 // parameter names follow PyTorch's (state-dict keys)
    private readonly Conv2d conv1;
    private readonly ReLU relu1;
    private readonly MaxPool2d pool1;
    private readonly Conv2d conv2;
    private readonly ReLU relu2;
    private readonly MaxPool2d pool2;
    private readonly Flatten flatten;
    private readonly Linear fc1;
    private readonly ReLU relu3;
    private readonly Linear fc2;
#pragma warning restore IDE1006, SA1306

    /// <summary>A model with freshly initialised parameters (seed them with <c>torch.manual_seed</c>).</summary>
    public FashionMnistCnn()
        : base(nameof(FashionMnistCnn))
    {
        conv1 = nn.Conv2d(1, 16, 3, padding: 1);
        relu1 = nn.ReLU();
        pool1 = nn.MaxPool2d(2);
        conv2 = nn.Conv2d(16, 32, 3, padding: 1);
        relu2 = nn.ReLU();
        pool2 = nn.MaxPool2d(2);
        flatten = nn.Flatten();
        fc1 = nn.Linear(32 * 7 * 7, EmbeddingSize);
        relu3 = nn.ReLU();
        fc2 = nn.Linear(EmbeddingSize, ClassCount);
        RegisterComponents();
    }

    /// <summary>Logits [B, 10] of images [B, 1, 28, 28]. Sub-modules run through <c>call</c>, so forward hooks fire.</summary>
    public override Tensor forward(Tensor input)
    {
        using var c1 = conv1.call(input);
        using var r1 = relu1.call(c1);
        using var p1 = pool1.call(r1);
        using var c2 = conv2.call(p1);
        using var r2 = relu2.call(c2);
        using var p2 = pool2.call(r2);
        using var f = flatten.call(p2);
        using var h = fc1.call(f);
        using var r3 = relu3.call(h);
        return fc2.call(r3);
    }
}
