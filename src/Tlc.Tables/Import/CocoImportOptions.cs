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
    /// Labels are the COCO category ids (the value map is id → name). When false, labels are 0..n-1 in the order of the
    /// <c>categories</c> array. Default: true.
    /// </summary>
    public bool KeepCategoryIds { get; init; } = true;
}
