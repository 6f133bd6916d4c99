namespace Tlc.Schemas;

/// <summary>
/// One entry of a value map: what a stored number means (3LC's <c>MapElement</c>), e.g. the class name of a label.
/// </summary>
/// <param name="InternalName">The stable name of the value, e.g. "cat".</param>
/// <param name="DisplayName">An optional name to show instead of <paramref name="InternalName"/>.</param>
/// <param name="Description">An optional description.</param>
/// <param name="DisplayColor">An optional colour, e.g. "#ff0000".</param>
public sealed record MapElement(string InternalName, string? DisplayName = null, string? Description = null, string? DisplayColor = null);
