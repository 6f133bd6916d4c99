using static TorchSharp.torch;

namespace Tlc.Metrics;

/// <summary>A batch of stacked inputs and their class labels (disposing it disposes both).</summary>
/// <param name="Inputs">The inputs, stacked: [B, ...].</param>
/// <param name="Labels">The labels: [B] int64.</param>
public sealed record TensorBatch(Tensor Inputs, Tensor Labels) : IDisposable
{
    /// <summary>Samples in the batch.</summary>
    public long Count => Labels.shape[0];

    /// <inheritdoc />
    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>Collation functions for <see cref="DataLoader{T, TBatch}"/> (PyTorch's <c>default_collate</c> for the common case).</summary>
public static class Collate
{
    /// <summary>Stacks the samples' inputs (one shape and type; disposed once stacked) and makes an int64 tensor of their labels.</summary>
    /// <exception cref="InvalidOperationException">Two inputs differ in shape or type (naming both positions).</exception>
    public static TensorBatch Stack((Tensor Input, long Label)[] samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Length == 0)
        {
            throw new ArgumentException("A batch needs at least one sample.", nameof(samples));
        }
        try
        {
            var shape = samples[0].Input.shape;
            for (var i = 1; i < samples.Length; i++)
            {
                if (!samples[i].Input.shape.SequenceEqual(shape) || samples[i].Input.dtype != samples[0].Input.dtype)
                {
                    throw new InvalidOperationException(
                        $"Samples 0 and {i} of the batch differ ([{string.Join(", ", shape)}] {samples[0].Input.dtype} vs [{string.Join(", ", samples[i].Input.shape)}] {samples[i].Input.dtype}); a batch needs one shape.");
                }
            }
            return new TensorBatch(stack(samples.Select(s => s.Input).ToArray()), tensor(samples.Select(s => s.Label).ToArray()));
        }
        finally
        {
            foreach (var (input, _) in samples)
            {
                input.Dispose();
            }
        }
    }
}
