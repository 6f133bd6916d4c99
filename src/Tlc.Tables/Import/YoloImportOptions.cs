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
    /// Check that every box (detect and pose) lies inside its image: the corners of the normalised centre-size box,
    /// <c>cx ± w/2</c> and <c>cy ± h/2</c>, must lie within [0, 1] with a tolerance of 1e-3. A box outside is an
    /// <see cref="ImportException"/> naming the label file and line. (Each number is always checked to lie in [0, 1];
    /// this adds the corners.) Default: false.
    /// </summary>
    public bool ValidateBoxes { get; init; }
}
