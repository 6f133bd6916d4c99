namespace Tlc.Cluster;

/// <summary>The usual kinds of a <see cref="RunOutput"/>.</summary>
public static class RunOutputKinds
{
    /// <summary>A trained model (weights, TorchScript, ONNX).</summary>
    public const string Model = "model";

    /// <summary>An exported dataset or table (COCO, YOLO, CSV, ...).</summary>
    public const string Export = "export";

    /// <summary>Any other file.</summary>
    public const string File = "file";
}
