namespace Tlc.Cluster;

/// <summary>
/// Something a run produced and records (3LC's run outputs): a trained model, an exported dataset, any file. A run keeps
/// at most one output per <see cref="Name"/>.
/// </summary>
/// <param name="Name">The output's name, unique within the run (e.g. "best.pt").</param>
/// <param name="Url">Where it is (an absolute URL or local path).</param>
/// <param name="Kind">What it is: <see cref="RunOutputKinds.Model"/>, <see cref="RunOutputKinds.Export"/>, <see cref="RunOutputKinds.File"/> or another word.</param>
/// <param name="Description">A description, if any.</param>
/// <param name="Size">Its size in bytes, when known.</param>
/// <param name="Created">When it was recorded (or made).</param>
[GenerateSerializer, Immutable]
public sealed record RunOutput(
    [property: Id(0)] string Name,
    [property: Id(1)] string Url,
    [property: Id(2)] string Kind,
    [property: Id(3)] string? Description,
    [property: Id(4)] long? Size,
    [property: Id(5)] DateTimeOffset Created)
{
    /// <summary>
    /// The problem with this output, or null when it is fine: a name or URL that is empty, a kind that is empty or holds
    /// white space, a negative size.
    /// </summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Name) ? "an output needs a name"
        : string.IsNullOrWhiteSpace(Url) ? $"output '{Name}' needs a URL"
        : string.IsNullOrWhiteSpace(Kind) || Kind.Any(char.IsWhiteSpace) ? $"output '{Name}': the kind must be one word such as model, export or file (got '{Kind}')"
        : Size < 0 ? $"output '{Name}': the size {Size} is negative"
        : null;
}
