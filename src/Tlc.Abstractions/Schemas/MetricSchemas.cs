namespace Tlc.Schemas;

/// <summary>A model's confidence in its prediction: float32 in [0, 1].</summary>
public sealed class ConfidenceSchema : ScalarSchema
{
    /// <summary>Creates a confidence schema.</summary>
    public ConfidenceSchema() : base(ScalarKind.Float32, "confidence")
    {
        Min = 0;
        Max = 1;
    }
}

/// <summary>A fraction: float32 in [0, 1].</summary>
public sealed class FractionSchema : ScalarSchema
{
    /// <summary>Creates a fraction schema.</summary>
    public FractionSchema() : base(ScalarKind.Float32, "fraction")
    {
        Min = 0;
        Max = 1;
    }
}

/// <summary>An intersection over union: float32 in [0, 1].</summary>
public sealed class IoUSchema : ScalarSchema
{
    /// <summary>Creates an IoU schema.</summary>
    public IoUSchema() : base(ScalarKind.Float32, "iou")
    {
        Min = 0;
        Max = 1;
    }
}

/// <summary>A probability: float32 in [0, 1].</summary>
public sealed class ProbabilitySchema : ScalarSchema
{
    /// <summary>Creates a probability schema.</summary>
    public ProbabilitySchema() : base(ScalarKind.Float32, "probability")
    {
        Min = 0;
        Max = 1;
    }
}

/// <summary>An embedding: a list of float32, of fixed length when <see cref="Dimensions"/> is given.</summary>
public sealed class EmbeddingSchema : ListSchema
{
    /// <summary>Creates an embedding schema; <paramref name="dimensions"/> fixes the vector length.</summary>
    public EmbeddingSchema(int? dimensions = null) : base(new Float32Schema(), dimensions, "embedding")
    {
    }

    /// <summary>The vector length, or null when it varies.</summary>
    public int? Dimensions => FixedSize;
}
