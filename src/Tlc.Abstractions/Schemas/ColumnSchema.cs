namespace Tlc.Schemas;

/// <summary>
/// Describes one column (or one field of a struct column): what is stored, how it maps to Arrow, what the values
/// mean (value maps), and how a stored value turns into a sample on read (the sample type).
/// </summary>
/// <remarks>
/// Three structural kinds exist — <see cref="ScalarSchema"/>, <see cref="ListSchema"/> and <see cref="StructSchema"/> —
/// and the user-facing schemas (<see cref="ImageSchema"/>, <see cref="CategoricalLabelSchema"/>, ...) specialise them.
/// Schemas round-trip through the object file with <see cref="SchemaJson"/>.
/// </remarks>
public abstract class ColumnSchema
{
    private string? _displayName;
    private string? _description;
    private bool _writable = true;
    private bool _hidden;
    private bool _nullable;
    private string? _sampleType;

    /// <summary>The schema's type name as stored in object files, e.g. "image" or "int32".</summary>
    public abstract string Type { get; }

    /// <summary>A name to show instead of the column name. Default: none.</summary>
    public string? DisplayName { get => _displayName; init => _displayName = value; }

    /// <summary>A free-text description. Default: none.</summary>
    public string? Description { get => _description; init => _description = value; }

    /// <summary>Whether edits may change the values. Default: true.</summary>
    public bool Writable { get => _writable; init => _writable = value; }

    /// <summary>Whether <c>table[i]</c> leaves the column out of samples. Default: false.</summary>
    public bool Hidden { get => _hidden; init => _hidden = value; }

    /// <summary>Whether a row may hold no value. Default: false.</summary>
    public bool Nullable { get => _nullable; init => _nullable = value; }

    /// <summary>
    /// How a stored value decodes into a sample on <c>table[i]</c> (e.g. "png", "url", "bounding_boxes_2d"); null keeps
    /// the raw value. Default: set by each schema.
    /// </summary>
    public string? SampleType { get => _sampleType; init => _sampleType = value; }

    /// <summary>A short description of the stored shape for error messages, e.g. "int32 (categorical_label)".</summary>
    public abstract string Describe();

    /// <inheritdoc />
    public override string ToString() => Describe();

    internal void SetCommon(string? displayName, string? description, bool writable, bool hidden, bool nullable, string? sampleType)
    {
        _displayName = displayName;
        _description = description;
        _writable = writable;
        _hidden = hidden;
        _nullable = nullable;
        _sampleType = sampleType;
    }

    /// <summary>Returns a copy of this schema with <see cref="Nullable"/> set.</summary>
    public ColumnSchema AsNullable(bool nullable = true)
    {
        var copy = SchemaJson.Clone(this);
        copy._nullable = nullable;
        return copy;
    }

    /// <summary>Returns a copy of this schema with <see cref="Hidden"/> set.</summary>
    public ColumnSchema AsHidden(bool hidden = true)
    {
        var copy = SchemaJson.Clone(this);
        copy._hidden = hidden;
        return copy;
    }

    /// <summary>True when both schemas are written identically to an object file.</summary>
    public bool IsEquivalentTo(ColumnSchema? other) => other is not null && SchemaJson.ToJsonString(this) == SchemaJson.ToJsonString(other);
}
