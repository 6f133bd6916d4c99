namespace Tlc.Metrics;

/// <summary>What one training epoch did.</summary>
/// <param name="Epoch">The epoch, from 1.</param>
/// <param name="Loss">The mean training loss over the epoch's samples.</param>
/// <param name="Accuracy">The fraction of the epoch's samples predicted right (while training).</param>
/// <param name="Samples">The samples seen.</param>
/// <param name="Elapsed">The epoch's duration.</param>
public sealed record EpochResult(int Epoch, double Loss, double Accuracy, long Samples, TimeSpan Elapsed);
