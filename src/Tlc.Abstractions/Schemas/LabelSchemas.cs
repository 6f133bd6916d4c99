namespace Tlc.Schemas;

/// <summary>A class label column: an int32 whose values are named by the value map.</summary>
public sealed class CategoricalLabelSchema : ScalarSchema
{
    /// <summary>Creates a label schema; value i is <paramref name="classes"/>[i].</summary>
    public CategoricalLabelSchema(IEnumerable<string> classes) : this(ValueMap.FromClasses(classes))
    {
    }

    /// <summary>Creates a label schema from an explicit value map (e.g. COCO category ids).</summary>
    public CategoricalLabelSchema(ValueMap classes) : base(ScalarKind.Int32, "categorical_label")
    {
        ArgumentNullException.ThrowIfNull(classes);
        ValueMap = classes;
    }

    /// <summary>The class names, ordered by value.</summary>
    public IReadOnlyList<string> Classes => ValueMap!.Names;
}

/// <summary>A multi-label column: a list of int32 labels, each named by the value map.</summary>
public sealed class CategoricalLabelListSchema : ListSchema
{
    /// <summary>Creates a label list schema; value i is <paramref name="classes"/>[i].</summary>
    public CategoricalLabelListSchema(IEnumerable<string> classes) : this(ValueMap.FromClasses(classes))
    {
    }

    /// <summary>Creates a label list schema from an explicit value map.</summary>
    public CategoricalLabelListSchema(ValueMap classes)
        : base(new ScalarSchema(ScalarKind.Int32, "categorical_label") { ValueMap = classes }, null, "categorical_label_list")
    {
        ArgumentNullException.ThrowIfNull(classes);
    }

    /// <summary>The value map of the elements.</summary>
    public ValueMap ValueMap => ((ScalarSchema)Element).ValueMap!;
}
