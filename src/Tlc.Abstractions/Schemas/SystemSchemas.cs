namespace Tlc.Schemas;

/// <summary>The training epoch a metrics row belongs to: int32, at least 0.</summary>
public sealed class EpochSchema : ScalarSchema
{
    /// <summary>Creates an epoch schema.</summary>
    public EpochSchema() : base(ScalarKind.Int32, "epoch") => Min = 0;
}

/// <summary>The 0-based row index of a sample in the foreign table a metrics table names: int64, read-only.</summary>
public sealed class ExampleIdSchema : ScalarSchema
{
    /// <summary>Creates an example id schema.</summary>
    public ExampleIdSchema() : base(ScalarKind.Int64, "example_id")
    {
        Min = 0;
        Writable = false;
    }
}

/// <summary>
/// A sample weight: float32, at least 0, default 1. A weight above 1 is sampled more often, 0 is skipped.
/// </summary>
public sealed class SampleWeightSchema : ScalarSchema
{
    /// <summary>Creates a sample weight schema.</summary>
    public SampleWeightSchema() : base(ScalarKind.Float32, "sample_weight")
    {
        Min = 0;
        DefaultValue = 1.0f;
    }
}

/// <summary>A row index into another table (the foreign table): int64.</summary>
public sealed class ForeignTableIdSchema : ScalarSchema
{
    /// <summary>Creates a foreign table id schema referring to <paramref name="foreignTableUrl"/>.</summary>
    public ForeignTableIdSchema(string foreignTableUrl) : base(ScalarKind.Int64, "foreign_table_id")
    {
        ArgumentException.ThrowIfNullOrEmpty(foreignTableUrl);
        ForeignTableUrl = foreignTableUrl;
        Min = 0;
    }

    /// <summary>The URL of the table the ids point into.</summary>
    public string ForeignTableUrl { get; }
}
