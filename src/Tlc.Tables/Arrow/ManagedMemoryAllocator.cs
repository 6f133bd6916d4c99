using System.Buffers;
using Apache.Arrow.Memory;

namespace Tlc.Tables.Arrow;

/// <summary>
/// Arrow buffers on the managed heap. Arrow's default allocator takes native memory whose release waits for a finalizer
/// (a busy import kept the finalizer thread on one of two cores); buffers built here are plain byte arrays the GC frees.
/// </summary>
public sealed class ManagedMemoryAllocator : MemoryAllocator
{
    private ManagedMemoryAllocator()
        : base(alignment: 8)
    {
    }

    /// <summary>The allocator.</summary>
    public static ManagedMemoryAllocator Instance { get; } = new();

    /// <inheritdoc />
    protected override IMemoryOwner<byte> AllocateInternal(int length, out int bytesAllocated)
    {
        bytesAllocated = length;
        return new ArrayOwner(new byte[length]);
    }

    private sealed class ArrayOwner(byte[] array) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory { get; } = array;

        public void Dispose()
        {
        }
    }
}
