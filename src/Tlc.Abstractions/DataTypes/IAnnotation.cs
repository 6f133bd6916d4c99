namespace Tlc.DataTypes;

/// <summary>
/// An annotation value constructed in code (boxes, keypoints, masks, ...). Writers store it through
/// <see cref="ToRowValue"/>; each type reads back with its <c>FromRowValue</c>.
/// </summary>
public interface IAnnotation
{
    /// <summary>The stored form: a dictionary of fields, lists as lists.</summary>
    IReadOnlyDictionary<string, object?> ToRowValue();
}
