namespace Tlc;

/// <summary>What <c>Runs.InitAsync</c> does when a run of that name exists (3LC's if_exists).</summary>
public enum RunIfExists
{
    /// <summary>Start a new run under the next free name (<c>run_0001</c>, ...). The default.</summary>
    Rename,
    /// <summary>Continue the existing run, keeping its history.</summary>
    Reuse,
    /// <summary>Start the run over under the same name.</summary>
    Overwrite,
    /// <summary>Fail.</summary>
    Raise,
}
