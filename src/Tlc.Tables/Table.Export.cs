using Tlc.Tables.Export;

namespace Tlc.Tables;

public sealed partial class Table
{
    /// <summary>
    /// Writes the table as CSV (header row; scalars as invariant text, lists and structs as JSON cells). The file appears
    /// atomically: a failed export leaves nothing at <paramref name="pathOrUrl"/>.
    /// </summary>
    /// <exception cref="ExportException">An option does not fit the table (unknown column, no weight column to filter by).</exception>
    public Task<ExportResult> ExportCsvAsync(string pathOrUrl, ExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrUrl);
        return CsvExporter.ExportAsync(this, pathOrUrl, options ?? new ExportOptions(), cancellationToken);
    }

    /// <summary>Writes the table as Parquet, streaming its record batches (nested columns stay nested). Published atomically.</summary>
    /// <exception cref="ExportException">An option does not fit the table.</exception>
    public Task<ExportResult> ExportParquetAsync(string pathOrUrl, ExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrUrl);
        return ParquetExporter.ExportAsync(this, pathOrUrl, options ?? new ExportOptions(), cancellationToken);
    }

    /// <summary>Writes the table as NDJSON (or one JSON array, see <see cref="JsonExportOptions.Format"/>). Published atomically.</summary>
    /// <exception cref="ExportException">An option does not fit the table.</exception>
    public Task<ExportResult> ExportJsonAsync(string pathOrUrl, JsonExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pathOrUrl);
        return JsonExporter.ExportAsync(this, pathOrUrl, options ?? new JsonExportOptions(), cancellationToken);
    }

    /// <summary>
    /// Writes a detection table as a COCO annotations file: images (id = row index, size from the annotation), annotations
    /// (boxes as pixel <c>[x, y, w, h]</c>, polygons where a segmentation column exists) and categories (the boxes' value map).
    /// Published atomically.
    /// </summary>
    /// <exception cref="ExportException">The table has no image or box column, or several without one being named.</exception>
    public Task<ExportResult> ExportCocoAsync(string annotationsFile, CocoExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(annotationsFile);
        return CocoExporter.ExportAsync(this, annotationsFile, options ?? new CocoExportOptions(), cancellationToken);
    }

    /// <summary>
    /// Writes a detection table as a YOLO dataset folder: <c>images/</c>, <c>labels/&lt;stem&gt;.txt</c> (<c>class cx cy w h</c>,
    /// normalised) and <c>data.yaml</c> with the class names. A failed export deletes what it wrote.
    /// </summary>
    /// <exception cref="ExportException">The table has no image or box column, or a box label outside the value map.</exception>
    public Task<ExportResult> ExportYoloAsync(string folder, YoloExportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        return YoloExporter.ExportAsync(this, folder, options ?? new YoloExportOptions(), cancellationToken);
    }
}
