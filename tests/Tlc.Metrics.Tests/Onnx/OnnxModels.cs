namespace Tlc.Metrics.Tests.Onnx;

/// <summary>
/// The real pretrained ONNX models of NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, which the test project restores and
/// copies beside the tests (models/): no network at run time.
/// </summary>
internal static class OnnxModels
{
    /// <summary>ResNet18 (CNTK export): input Input247 [1, 3, 224, 224] BGR 0..255 less the mean image; output Pooling395_Output_0 [1, 512, 1, 1].</summary>
    public static string ResNet18 => Require("ResNet18.onnx");

    /// <summary>ResNet18's preprocessing: OriginalInput [1, 3, 224, 224] → PreprocessedInput, the input less a mean image.</summary>
    public static string ResNetPreprocess => Require("ResNetPreprocess.onnx");

    /// <summary>The per-channel means (B, G, R) of ResNetPreprocess's mean image: the featurizer's arguments.</summary>
    public const string ResNet18Arguments = """{"channel_order": "bgr", "pixel_scale": 1, "mean": [103.0626, 115.9029, 123.1516]}""";

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "models");

    private static string Require(string name)
    {
        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? path : throw new FileNotFoundException(
            $"{path} is missing: building tests/Tlc.Metrics.Tests restores NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18 and copies its models there.", path);
    }
}
