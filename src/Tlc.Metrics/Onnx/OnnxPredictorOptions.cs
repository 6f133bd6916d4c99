using Tlc.Metrics.Collectors;

namespace Tlc.Metrics.Onnx;

/// <summary>The order of colour channels a model expects.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue.</summary>
    Rgb,
    /// <summary>Blue, green, red (Caffe, CNTK and OpenCV-trained models).</summary>
    Bgr,
}

/// <summary>How a model lays out an image tensor.</summary>
public enum TensorLayout
{
    /// <summary>Channels first: [C, H, W].</summary>
    Nchw,
    /// <summary>Channels last: [H, W, C].</summary>
    Nhwc,
}

/// <summary>
/// How an <see cref="OnnxPredictor"/> reads images and runs its model. Each channel value is
/// <c>(pixel × <see cref="PixelScale"/> − <see cref="Mean"/>[c]) / <see cref="Std"/>[c]</c>, pixel in 0..255, channels in
/// <see cref="ChannelOrder"/>. From a spec's <c>ArgumentsJson</c> (<see cref="FromJson"/>): <c>input</c>, <c>output</c>,
/// <c>image_column</c>, <c>width</c>, <c>height</c>, <c>channel_order</c> (<c>rgb</c>|<c>bgr</c>), <c>layout</c>
/// (<c>nchw</c>|<c>nhwc</c>), <c>pixel_scale</c>, <c>mean</c>, <c>std</c>, <c>intra_op_threads</c>.
/// </summary>
public sealed record OnnxPredictorOptions
{
    /// <summary>The model input to feed. Default: the model's first input.</summary>
    public string? InputName { get; init; }

    /// <summary>The model output that becomes <see cref="PredictorOutput.Forward"/>. Default: the model's first output.</summary>
    public string? OutputName { get; init; }

    /// <summary>The sample column holding the image (a decoded image, encoded bytes or a URL). Default <c>image</c>.</summary>
    public string ImageColumn { get; init; } = "image";

    /// <summary>The width images are resized to. Default: the model input's width.</summary>
    public int? Width { get; init; }

    /// <summary>The height images are resized to. Default: the model input's height.</summary>
    public int? Height { get; init; }

    /// <summary>The channel order. Default RGB.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>The layout of the model input. Default NCHW.</summary>
    public TensorLayout Layout { get; init; } = TensorLayout.Nchw;

    /// <summary>The factor applied to 0..255 pixel values before normalising. Default 1/255.</summary>
    public float PixelScale { get; init; } = 1f / 255f;

    /// <summary>The per-channel mean subtracted (in <see cref="ChannelOrder"/>; one value applies to every channel). Default 0.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f];

    /// <summary>The per-channel standard deviation divided by (as <see cref="Mean"/>). Default 1.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f];

    /// <summary>ONNX Runtime's intra-op threads: fixed, so results and timings do not depend on the machine. Default 1.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Reads options from a spec's JSON arguments; <paramref name="what"/> names the spec in errors.</summary>
    public static OnnxPredictorOptions FromJson(string? json, string what)
    {
        var args = SpecArguments.Parse(json, what, "input", "output", "image_column", "width", "height", "channel_order", "layout",
            "pixel_scale", "mean", "std", "intra_op_threads");
        var defaults = new OnnxPredictorOptions();
        var options = new OnnxPredictorOptions
        {
            InputName = args.String("input"),
            OutputName = args.String("output"),
            ImageColumn = args.String("image_column") ?? defaults.ImageColumn,
            Width = args.Integer("width"),
            Height = args.Integer("height"),
            ChannelOrder = args.String("channel_order") switch
            {
                null or "rgb" => ChannelOrder.Rgb,
                "bgr" => ChannelOrder.Bgr,
                var other => throw new ArgumentException($"{what}: argument 'channel_order' must be \"rgb\" or \"bgr\", got \"{other}\"."),
            },
            Layout = args.String("layout") switch
            {
                null or "nchw" => TensorLayout.Nchw,
                "nhwc" => TensorLayout.Nhwc,
                var other => throw new ArgumentException($"{what}: argument 'layout' must be \"nchw\" or \"nhwc\", got \"{other}\"."),
            },
            PixelScale = (float)(args.Number("pixel_scale") ?? defaults.PixelScale),
            Mean = args.Floats("mean") ?? defaults.Mean,
            Std = args.Floats("std") ?? defaults.Std,
            IntraOpThreads = args.Integer("intra_op_threads") ?? defaults.IntraOpThreads,
        };
        options.Validate(what);
        return options;
    }

    /// <summary>Checks the values; <paramref name="what"/> names the model in errors.</summary>
    internal void Validate(string what)
    {
        if (Width is <= 0 || Height is <= 0)
        {
            throw new ArgumentException($"{what}: the image size {Width}×{Height} must be positive.");
        }
        if (IntraOpThreads <= 0)
        {
            throw new ArgumentException($"{what}: intra_op_threads must be positive, got {IntraOpThreads}.");
        }
        if (Mean.Count == 0 || Std.Count == 0 || Std.Any(s => !(s != 0) || !float.IsFinite(s)) || Mean.Any(m => !float.IsFinite(m)) || !float.IsFinite(PixelScale))
        {
            throw new ArgumentException($"{what}: mean and std need at least one finite value each, and std no zero.");
        }
    }
}
