using System.Threading.Channels;

namespace Tlc.Metrics;

/// <summary>What the pipelines of the runner and the data loader share: handing a disposable item to the next stage.</summary>
internal static class ChannelWrites
{
    /// <summary>Writes <paramref name="item"/>, or disposes it when it cannot be written (cancelled, channel closed).</summary>
    public static async ValueTask WriteOrDisposeAsync<T>(this ChannelWriter<T> writer, T item, CancellationToken cancellationToken)
        where T : IDisposable
    {
        try
        {
            await writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            item.Dispose();
            throw;
        }
    }
}
