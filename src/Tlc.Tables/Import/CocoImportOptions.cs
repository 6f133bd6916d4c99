namespace Tlc.Tables.Import;

/// <summary>Options of <see cref="Table.FromCocoAsync"/> (3LC's <c>Table.from_coco</c>).</summary>
public sealed class CocoImportOptions : ImportOptions
{
    /// <summary>Which annotations become columns. Default: <see cref="CocoTask.Detect"/>.</summary>
    public CocoTask Task { get; init; } = CocoTask.Detect;

    /// <summary>
    /// Keep crowd annotations (<c>iscrowd: 1</c>): the boxes then carry an <c>iscrowd</c> flag, and their RLE masks go to the
    /// <c>masks</c> column under <see cref="CocoTask.Segment"/>. Default: false (crowd annotations are left out).
    /// </summary>
    public bool IncludeIsCrowd { get; init; }

    /// <summary>
    /// Read every image's header before writing: a missing or unreadable image, or one whose size differs from the JSON's
    /// width and height, is an error. Default: false.
    /// </summary>
    public bool ValidateImages { get; init; }

    /// <summary>
    /// Check that every box lies inside its image: the pixel box <c>[x, y, w, h]</c> must satisfy <c>x, y ≥ -1</c>,
    /// <c>x + w ≤ width + 1</c> and <c>y + h ≤ height + 1</c> (a tolerance of 1 pixel, for rounding in exporters), with the
    /// image's <c>width</c> and <c>height</c> from the JSON. A box outside is an <see cref="ImportException"/> naming the
    /// file and the annotation (its position and id). Default: false (boxes are imported as written).
    /// </summary>
    public bool ValidateBoxes { get; init; }

    /// <summary>
    /// The <c>keypoints</c> column (COCO person keypoints): null (the default) adds it when a category declares keypoints (a
    /// non-empty <c>keypoints</c> list of point names, with an optional <c>skeleton</c>), true requires that (an error
    /// otherwise), false leaves keypoints out. Every declaring category must name the same points and skeleton. The column
    /// holds one instance per kept annotation (instance i belongs to box i): its <c>keypoints</c> <c>[x, y, v]</c> × K in
    /// pixels with visibility 0, 1 or 2, or, for an annotation without keypoints, K unlabelled points at (0, 0). An
    /// annotation's keypoints of the wrong length, a visibility other than 0, 1 or 2, a <c>num_keypoints</c> that does not
    /// count its labelled points, or keypoints on a category that declares none are errors naming the file, the annotation
    /// (position and id) and the field.
    /// </summary>
    public bool? Keypoints { get; init; }

    /// <summary>
    /// Labels are the COCO category ids (the value map is id → name). When false, labels are 0..n-1 in the order of the
    /// <c>categories</c> array. Default: true.
    /// </summary>
    public bool KeepCategoryIds { get; init; } = true;
}
