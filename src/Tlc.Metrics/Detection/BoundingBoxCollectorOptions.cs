namespace Tlc.Metrics.Detection;

/// <summary>How a detector's box coordinates are given.</summary>
public enum DetectionCoordinates
{
    /// <summary>Pixels of the image (the ground truth's image size).</summary>
    Pixels,
    /// <summary>Fractions of the image's width and height, in [0, 1].</summary>
    Normalized,
}

/// <summary>Settings of a <see cref="BoundingBoxCollector"/> besides its classes and IoU threshold.</summary>
public sealed record BoundingBoxCollectorOptions
{
    /// <summary>The ground-truth column. Default: the first <c>bounding_boxes_2d</c> column.</summary>
    public string? TruthColumn { get; init; }

    /// <summary>How the detections' corners are given. Default: <see cref="DetectionCoordinates.Pixels"/>.</summary>
    public DetectionCoordinates Coordinates { get; init; } = DetectionCoordinates.Pixels;

    /// <summary>Detections scoring at most this are left out (padding rows score 0). Default 0.</summary>
    public float ScoreThreshold { get; init; }

    /// <summary>The name of the predicted boxes column. Default <c>predicted_bbs</c>.</summary>
    public string PredictedColumn { get; init; } = "predicted_bbs";
}
