namespace Tlc.Cluster;

/// <summary>Where a job is, whatever its kind.</summary>
public enum JobStatus
{
    /// <summary>Submitted; waiting for workers (or, for jobs whose items are written by their writers, for items).</summary>
    Pending,
    /// <summary>Items are being computed, converted or written.</summary>
    Running,
    /// <summary>Every item is committed; the result is being published.</summary>
    Publishing,
    /// <summary>The result is published.</summary>
    Completed,
    /// <summary>An item failed too often or for good, or publication was refused; nothing is published.</summary>
    Failed,
    /// <summary>Cancelled; nothing is published.</summary>
    Cancelled,
    /// <summary>Submitted; its item plans are still arriving (a large plan is sent in parts).</summary>
    Planning,
}
