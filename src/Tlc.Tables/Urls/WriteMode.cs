namespace Tlc.Tables.Urls;

/// <summary>What a write does when something already exists at the URL.</summary>
public enum WriteMode
{
    /// <summary>Fail with <see cref="UrlAlreadyExistsException"/> (create-if-absent; atomic).</summary>
    CreateNew,
    /// <summary>Replace it atomically: a reader sees the old content or the new, never a mix.</summary>
    Overwrite,
}
