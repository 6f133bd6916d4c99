namespace Tlc.Tables;

/// <summary>What writing a table does when a table of that name already exists.</summary>
public enum IfExists
{
    /// <summary>Fail with <see cref="TableExistsException"/>.</summary>
    Raise,
    /// <summary>Keep the existing table and return it; nothing is written.</summary>
    Reuse,
    /// <summary>Write under the first free name <c>name_0001</c>, <c>name_0002</c>, ...</summary>
    Rename,
    /// <summary>
    /// Publish a new immutable object under the same name. Readers holding the old one keep reading it; its files go
    /// only by explicit garbage collection.
    /// </summary>
    Overwrite,
}
