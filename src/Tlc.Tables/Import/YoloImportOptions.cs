namespace Tlc.Tables.Import;

/// <summary>Options of <see cref="Table.FromYoloUrlAsync"/> (3LC's <c>Table.from_yolo_url</c>).</summary>
public sealed class YoloImportOptions : ImportOptions
{
    /// <summary>What the label files hold. Default: <see cref="YoloTask.Detect"/>.</summary>
    public YoloTask Task { get; init; } = YoloTask.Detect;

    /// <summary>
    /// The labels folder. Default: the images URL with its last <c>images</c> path segment replaced by <c>labels</c>
    /// (Ultralytics' rule: <c>data/images/train/a.jpg</c> → <c>data/labels/train/a.txt</c>).
    /// </summary>
    public Url? LabelsUrl { get; init; }

    /// <summary>The number of keypoints per instance, for <see cref="YoloTask.Pose"/> (required there). Default: none.</summary>
    public int? NumKeypoints { get; init; }

    /// <summary>Numbers per keypoint for <see cref="YoloTask.Pose"/>: 2 (x, y) or 3 (x, y, visibility 0/1/2). Default: 3.</summary>
    public int KeypointDims { get; init; } = 3;

    /// <summary>
    /// Whether every box (detect and pose) must lie inside its image: the corners cx ± w/2 and cy ± h/2 within [0, 1]
    /// give or take <see cref="BoxTolerance"/>; a box that sticks out is an error naming the label file and line.
    /// Coordinates are always checked to lie in [0, 1] (as Ultralytics does), class ids to be below the number of
    /// categories. Default: false.
    /// </summary>
    public bool ValidateBoxes { get; init; }

    /// <summary>How far (normalised) a box may stick out of its image under <see cref="ValidateBoxes"/>: 0.001.</summary>
    public const double BoxTolerance = 1e-3;
}
