namespace Tlc.Tables.Import;

/// <summary>What the label files of a YOLO dataset hold (3LC's and Ultralytics' <c>task</c>).</summary>
public enum YoloTask
{
    /// <summary>One box per line: <c>class cx cy w h</c>, normalised to [0, 1].</summary>
    Detect,
    /// <summary>One polygon per line: <c>class x1 y1 x2 y2 ...</c>, normalised to [0, 1].</summary>
    Segment,
    /// <summary>
    /// A box and its keypoints per line: <c>class cx cy w h px1 py1 [v1] ...</c>, normalised to [0, 1]
    /// (<see cref="YoloImportOptions.NumKeypoints"/> points of <see cref="YoloImportOptions.KeypointDims"/> numbers).
    /// </summary>
    Pose,
    /// <summary>
    /// One oriented box per line as its four corners: <c>class x1 y1 x2 y2 x3 y3 x4 y4</c>, normalised to [0, 1]
    /// (Ultralytics' OBB format). Imported as an <c>oriented_bounding_boxes_2d</c> column in pixels.
    /// </summary>
    Obb,
}
