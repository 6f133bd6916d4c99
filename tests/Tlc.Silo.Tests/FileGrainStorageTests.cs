using Orleans.Runtime;
using Orleans.Storage;
using Tlc.Silo.Storage;
using Tlc.Testing;

namespace Tlc.Silo.Tests;

public sealed class FileGrainStorageTests : IDisposable
{
    private readonly TempRoot _root = new("file-storage");

    public void Dispose() => _root.Dispose();

    /// <summary>A plain serializer standing in for Orleans' own, so the storage is tested on its own.</summary>
    private sealed class JsonStateSerializer : IGrainStorageSerializer
    {
        public BinaryData Serialize<T>(T? input) => BinaryData.FromObjectAsJson(input);

        public T? Deserialize<T>(BinaryData input) => input.ToObjectFromJson<T>();
    }

    private sealed class GrainState<T> : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = default!;

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }

    private FileGrainStorage Storage(long compactAbove = 64L << 20) =>
        new("tlc", new FileGrainStorageOptions { RootDirectory = _root.Path, GrainStorageSerializer = new JsonStateSerializer(), CompactAboveBytes = compactAbove });

    private static readonly GrainId Grain = GrainId.Create("part", "job/7");

    [Fact]
    public async Task WriteThenRead_RoundTripsWithVersionETag()
    {
        var storage = Storage();
        var state = new GrainState<Dictionary<string, int>>();
        await storage.ReadStateAsync("s", Grain, state);
        Assert.False(state.RecordExists);
        state.State = new() { ["a"] = 1 };
        await storage.WriteStateAsync("s", Grain, state);
        Assert.Equal("1", state.ETag);

        var again = new GrainState<Dictionary<string, int>>();
        await Storage().ReadStateAsync("s", Grain, again);
        Assert.True(again.RecordExists);
        Assert.Equal("1", again.ETag);
        Assert.Equal(1, again.State["a"]);
    }

    [Fact]
    public async Task StaleETag_IsRefused_NewerStateKept()
    {
        var storage = Storage();
        var a = new GrainState<int>();
        var b = new GrainState<int>();
        await storage.ReadStateAsync("s", Grain, a);
        await storage.ReadStateAsync("s", Grain, b);
        a.State = 1;
        await storage.WriteStateAsync("s", Grain, a);
        b.State = 2;
        await Assert.ThrowsAsync<InconsistentStateException>(() => storage.WriteStateAsync("s", Grain, b));
        var read = new GrainState<int>();
        await storage.ReadStateAsync("s", Grain, read);
        Assert.Equal(1, read.State);
    }

    [Fact]
    public async Task KeysThatDifferOnlyInPunctuation_NeverShareAFile()
    {
        var storage = Storage();
        var slash = new GrainState<int> { State = 1 };
        var colon = new GrainState<int> { State = 2 };
        await storage.WriteStateAsync("s", GrainId.Create("t", "a/b"), slash);
        await storage.WriteStateAsync("s", GrainId.Create("t", "a:b"), colon);
        var read = new GrainState<int>();
        await storage.ReadStateAsync("s", GrainId.Create("t", "a/b"), read);
        Assert.Equal(1, read.State);
    }

    [Fact]
    public async Task TornRecordAtTheEnd_IsIgnored_EarlierStateKept()
    {
        string log;
        using (var storage = Storage())
        {
            await storage.WriteStateAsync("s", Grain, new GrainState<int> { State = 41 });
            log = storage.LogPath;
        }
        // A crash mid-append: half a record.
        var length = new FileInfo(log).Length;
        await using (var file = new FileStream(log, FileMode.Append))
        {
            await file.WriteAsync(new byte[] { 0x47, 0x43, 0x4c, 0x54, 1, 2, 3 });
        }
        using var reopened = Storage();
        var read = new GrainState<int>();
        await reopened.ReadStateAsync("s", Grain, read);
        Assert.Equal(41, read.State);
        Assert.Equal(length, new FileInfo(log).Length);
        read.State = 42;
        await reopened.WriteStateAsync("s", Grain, read);
        using var again = Storage();
        var last = new GrainState<int>();
        await again.ReadStateAsync("s", Grain, last);
        Assert.Equal(42, last.State);
    }

    [Fact]
    public async Task ManyOverwrites_LogIsCompacted_StateKept()
    {
        using var storage = Storage(compactAbove: 64 << 10);
        var state = new GrainState<string>();
        for (var i = 0; i < 2000; i++)
        {
            state.State = new string('x', 100) + i;
            await storage.WriteStateAsync("s", GrainId.Create("t", $"k{i % 10}"), new GrainState<string> { State = state.State, ETag = i < 10 ? null : ((i / 10)).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
        Assert.True(new FileInfo(storage.LogPath).Length < 128 << 10, $"log is {new FileInfo(storage.LogPath).Length} bytes");
        var read = new GrainState<string>();
        await storage.ReadStateAsync("s", GrainId.Create("t", "k9"), read);
        Assert.Equal(new string('x', 100) + 1999, read.State);
        Assert.Equal("200", read.ETag);
    }

    [Fact]
    public async Task Clear_RemovesState()
    {
        var storage = Storage();
        var state = new GrainState<int> { State = 5 };
        await storage.WriteStateAsync("s", Grain, state);
        await storage.ClearStateAsync("s", Grain, state);
        Assert.False(state.RecordExists);
        var read = new GrainState<int>();
        await storage.ReadStateAsync("s", Grain, read);
        Assert.False(read.RecordExists);
    }
}
