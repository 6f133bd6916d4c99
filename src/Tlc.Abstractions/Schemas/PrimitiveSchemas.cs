namespace Tlc.Schemas;

// The plain value schemas: one class per stored kind, named as in 3LC's tlc.schemas.

/// <summary>A boolean column.</summary>
public sealed class BoolSchema() : ScalarSchema(ScalarKind.Bool);

/// <summary>A signed 8-bit integer column.</summary>
public sealed class Int8Schema() : ScalarSchema(ScalarKind.Int8);

/// <summary>A signed 16-bit integer column.</summary>
public sealed class Int16Schema() : ScalarSchema(ScalarKind.Int16);

/// <summary>A signed 32-bit integer column.</summary>
public sealed class Int32Schema() : ScalarSchema(ScalarKind.Int32);

/// <summary>A signed 64-bit integer column.</summary>
public sealed class Int64Schema() : ScalarSchema(ScalarKind.Int64);

/// <summary>An unsigned 8-bit integer column.</summary>
public sealed class UInt8Schema() : ScalarSchema(ScalarKind.UInt8);

/// <summary>An unsigned 16-bit integer column.</summary>
public sealed class UInt16Schema() : ScalarSchema(ScalarKind.UInt16);

/// <summary>An unsigned 32-bit integer column.</summary>
public sealed class UInt32Schema() : ScalarSchema(ScalarKind.UInt32);

/// <summary>An unsigned 64-bit integer column.</summary>
public sealed class UInt64Schema() : ScalarSchema(ScalarKind.UInt64);

/// <summary>A 32-bit float column.</summary>
public sealed class Float32Schema() : ScalarSchema(ScalarKind.Float32);

/// <summary>A 64-bit float column.</summary>
public sealed class Float64Schema() : ScalarSchema(ScalarKind.Float64);

/// <summary>A string column.</summary>
public sealed class StringSchema() : ScalarSchema(ScalarKind.String);

/// <summary>A raw bytes column.</summary>
public sealed class BytesSchema() : ScalarSchema(ScalarKind.Binary);

/// <summary>A timestamp column (UTC, microsecond precision).</summary>
public sealed class DateTimeSchema() : ScalarSchema(ScalarKind.Timestamp);

/// <summary>A URL column: a string read back as a string (sample type "url").</summary>
public sealed class UrlSchema : ScalarSchema
{
    /// <summary>Creates a URL schema.</summary>
    public UrlSchema() : base(ScalarKind.String, "url") => SampleType = SampleTypes.Url;
}
