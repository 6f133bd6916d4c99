namespace Tlc.Tables.Import;

/// <summary>Which COCO annotations <see cref="Table.FromCocoAsync"/> turns into columns (3LC's <c>task</c>).</summary>
public enum CocoTask
{
    /// <summary>Bounding boxes only: a <c>bbs</c> column.</summary>
    Detect,
    /// <summary>Bounding boxes plus instance segmentations: <c>segmentations</c> (polygons) and, where RLE masks occur, <c>masks</c>.</summary>
    Segment,
}
