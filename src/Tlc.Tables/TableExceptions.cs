namespace Tlc.Tables;

/// <summary>No table exists at a URL.</summary>
public sealed class TableNotFoundException(Url url, Exception? inner = null)
    : IOException($"No table at {url} (no {Storage.TableObject.FileName} there).", inner)
{
    /// <summary>The table URL.</summary>
    public Url Url { get; } = url;
}

/// <summary>A table already exists where one was to be written with <c>IfExists.Raise</c>.</summary>
public sealed class TableExistsException(Url url)
    : IOException($"A table already exists at {url} (use IfExists.Reuse, Rename or Overwrite).")
{
    /// <summary>The table URL.</summary>
    public Url Url { get; } = url;
}

/// <summary>An edit named a base revision that is no longer the head of its lineage.</summary>
public sealed class StaleRevisionException(Url baseRevision, Url head)
    : InvalidOperationException($"The edit is based on {baseRevision}, but the head of its lineage is now {head}: re-read the head and edit that.")
{
    /// <summary>The revision the edit was based on.</summary>
    public Url BaseRevision { get; } = baseRevision;

    /// <summary>The current head.</summary>
    public Url Head { get; } = head;
}
