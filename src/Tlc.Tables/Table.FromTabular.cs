using System.Collections;
using Tlc.Tables.Import;

namespace Tlc.Tables;

// The tabular importers: in-memory columns, CSV, NDJSON and Parquet (3LC's Table.from_dict / from_csv / from_parquet).
public sealed partial class Table
{
    /// <summary>
    /// Creates a table from in-memory columns of equal length (3LC's <c>Table.from_dict</c>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// A column's schema is <see cref="ImportOptions.Schema"/>'s entry for it, else inferred from its values:
    /// <c>int</c>/<c>long</c> (and the smaller integers) → <c>Int64Schema</c>; <c>ulong</c> → <c>UInt64Schema</c>; <c>float</c> →
    /// <c>Float32Schema</c>; <c>double</c>/<c>decimal</c> → <c>Float64Schema</c> (integers mixed with floats → <c>Float64Schema</c>);
    /// <c>bool</c> → <c>BoolSchema</c>; <c>string</c> → <c>StringSchema</c>; <c>DateTime</c>/<c>DateTimeOffset</c> →
    /// <c>DateTimeSchema</c>; <c>byte[]</c> → <c>BytesSchema</c>; <c>float[]</c> → <c>EmbeddingSchema(n)</c> when every array has
    /// the same length n, else a list of float32; <c>double[]</c>, <c>int[]</c>, <c>long[]</c>, <c>string[]</c> → lists. A null
    /// value makes the column nullable (a column of only nulls is a nullable string). Annotations (<c>IAnnotation</c>) and any
    /// other type need a declared schema.
    /// </para>
    /// <para>Columns of different lengths, a value that fits no schema, or a mix of types are an <see cref="ImportException"/>
    /// naming the input "dict", the row and the column; nothing is published then.</para>
    /// </remarks>
    /// <param name="columns">Column name → values, in column order.</param>
    /// <param name="options">Where to write and schema overrides. Default: <see cref="ImportOptions"/> defaults.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is published).</param>
    public static Task<Table> FromDictAsync(IReadOnlyDictionary<string, IEnumerable> columns, ImportOptions? options = null,
        CancellationToken cancellationToken = default) =>
        DictImporter.ImportAsync(columns, options ?? new ImportOptions(), cancellationToken);

    /// <summary>
    /// Creates a table from a CSV file (3LC's <c>Table.from_csv</c>), read through the URL adapters (local paths,
    /// <c>file://</c>, <c>http(s)://</c>, ...).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The first row is the header (an empty name becomes <c>column_N</c>); with <see cref="CsvImportOptions.HasHeader"/> false it is
    /// a record, and the columns are named by <see cref="CsvImportOptions.ColumnNames"/> (which also renames a header's columns)
    /// or <c>column_1</c>, <c>column_2</c>, …. Fields may be quoted (RFC 4180: <c>""</c> is a
    /// quote) and quoted fields may hold separators and newlines. Blank lines are skipped when there is more than one column.
    /// The input must be UTF-8 (a byte order mark is allowed).
    /// </para>
    /// <para>
    /// Types are inferred over the first <see cref="CsvImportOptions.InferenceRows"/> records, per column: each non-empty field is
    /// classified as int64 (an integer that fits), float64 (any other number in invariant culture, with '.' decimals, an
    /// exponent, NaN or infinity; never a ',' ), bool (<c>true</c>/<c>false</c> in any letter case) or string, and the column
    /// takes the narrowest type holding every value seen, widening int64 → float64 → string; bool mixed with any other type is
    /// string. An empty field (or one of <see cref="CsvImportOptions.NullValues"/>) is null and makes the column nullable; a
    /// column with only empty fields is a nullable string. Values after the sample must fit the inferred type: a field that
    /// does not (or an empty field in a column the sample found no null in) is an error; declare such columns in
    /// <see cref="ImportOptions.Schema"/> or set <see cref="CsvImportOptions.InferenceRows"/> to 0 to infer over every record.
    /// </para>
    /// <para>
    /// Declared columns parse as their schema stores: integers and floats in invariant culture; value-mapped integer columns
    /// (e.g. <c>CategoricalLabelSchema</c>) take a class name or its value; bools also take 1/0; timestamps ISO 8601 (UTC when
    /// no offset is given); bytes base64; string-based schemas (<c>ImageSchema(ImageSampleType.Url)</c>, <c>UrlSchema</c>, ...)
    /// the text as it is; lists and structs JSON text such as <c>[0.5, 1.5]</c>.
    /// </para>
    /// <para>
    /// Records are parsed straight into Arrow record batches of <see cref="ImportOptions.BatchRows"/> rows (no value is boxed). Bad
    /// input is an <see cref="ImportException"/> naming the file and the physical line the record starts on (and the column):
    /// an empty file, a duplicate header name, a record with another number of fields than the header, invalid UTF-8, a value
    /// not of the column's type (e.g. <c>data.csv:line 5234, column 'x': 'abc' is not a float64</c>). Nothing is published then.
    /// </para>
    /// </remarks>
    /// <param name="pathOrUrl">A local path or URL of the CSV file.</param>
    /// <param name="options">Separator, inference, null texts, where to write and schema overrides. Default: <see cref="CsvImportOptions"/> defaults.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is published).</param>
    public static Task<Table> FromCsvAsync(string pathOrUrl, CsvImportOptions? options = null, CancellationToken cancellationToken = default) =>
        CsvImporter.ImportAsync(pathOrUrl, options ?? new CsvImportOptions(), cancellationToken);

    /// <summary>
    /// Creates a table from newline-delimited JSON (one object per line), read through the URL adapters.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Blank lines are skipped. The columns are the keys of the objects on the first <see cref="NdjsonImportOptions.InferenceLines"/>
    /// lines, in order of first appearance, plus any column only <see cref="ImportOptions.Schema"/> declares. Types are inferred
    /// from the values: numbers are int64 when all are integers that fit, else float64; booleans; strings; arrays are lists of
    /// their elements' type, or an <c>EmbeddingSchema(n)</c> when every array holds n numbers and one at least is not an integer;
    /// objects are structs (fields in order of first appearance). A null, or a key missing from some objects, makes the column
    /// (or field) nullable; a key seen only with null is a nullable string. Any other mix of types is an error: declare the
    /// column in <see cref="ImportOptions.Schema"/> (a declared string column keeps other JSON values as their JSON text).
    /// Strings stay strings unless declared otherwise (e.g. <c>DateTimeSchema</c> parses ISO 8601 text).
    /// </para>
    /// <para>
    /// Bad input is an <see cref="ImportException"/> naming the file and line (and the column): malformed JSON, a line that is
    /// not an object, invalid UTF-8, a duplicate key, a key that is not a column, a value of another type than the column's
    /// (also after the inference sample). Nothing is published then.
    /// </para>
    /// </remarks>
    /// <param name="pathOrUrl">A local path or URL of the NDJSON file.</param>
    /// <param name="options">Inference, where to write and schema overrides. Default: <see cref="NdjsonImportOptions"/> defaults.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is published).</param>
    public static Task<Table> FromNdjsonAsync(string pathOrUrl, NdjsonImportOptions? options = null, CancellationToken cancellationToken = default) =>
        NdjsonImporter.ImportAsync(pathOrUrl, options ?? new NdjsonImportOptions(), cancellationToken);

    /// <summary>
    /// Creates a table from a Parquet file (3LC's <c>Table.from_parquet</c>), read with ParquetSharp's Arrow reader. Files
    /// behind other URLs than <c>file://</c> are first copied to a temporary file.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Column schemas follow the file's Arrow schema: integers, floats and bools keep their width; string, large_string,
    /// string_view and dictionary-encoded strings are strings; binary types are bytes; timestamps of any unit, date32 and
    /// date64 are UTC timestamps in microseconds (timestamps without a time zone are taken as UTC); decimal128 is float64;
    /// half floats are float32; lists (large and fixed-size too) and structs map element- and field-wise; nullability follows
    /// the Arrow fields. Other types (time of day, durations, intervals, maps, unions) are an error unless the column is
    /// declared in <see cref="ImportOptions.Schema"/> or left out with <see cref="ParquetImportOptions.Columns"/>. Declared
    /// schemas convert each value (e.g. class names into a <c>CategoricalLabelSchema</c>).
    /// </para>
    /// <para>
    /// Record batches of <see cref="ImportOptions.BatchRows"/> rows stream from the row groups into the table, so memory stays at
    /// about one batch. A file that is not Parquet, or is truncated or corrupt, is an <see cref="ImportException"/> naming the
    /// file (and the row where reading failed); nothing is published then.
    /// </para>
    /// </remarks>
    /// <param name="pathOrUrl">A local path or URL of the Parquet file.</param>
    /// <param name="options">Columns, where to write and schema overrides. Default: <see cref="ParquetImportOptions"/> defaults.</param>
    /// <param name="cancellationToken">Cancels the import (nothing is published).</param>
    public static Task<Table> FromParquetAsync(string pathOrUrl, ParquetImportOptions? options = null, CancellationToken cancellationToken = default) =>
        ParquetImporter.ImportAsync(pathOrUrl, options ?? new ParquetImportOptions(), cancellationToken);
}
