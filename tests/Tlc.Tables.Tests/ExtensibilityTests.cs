using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Tlc.Schemas;
using Tlc.Tables.Samples;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

public sealed class ExtensibilityTests : IDisposable
{
    private readonly TempRoot _root = new("ext");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PngSampleType_PixelsWrittenAsBulkData_DecodeBackExactly()
    {
        var pixels = Enumerable.Range(0, 28 * 28).Select(i => (byte)(i % 251)).ToArray();
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["image"] = new ImageSchema(), ["mask"] = new SemanticSegmentationSchema(["bg", "fg"]) },
            Project = "p", Dataset = "d", Table = "images", Root = _root.Url, Settings = _root.Settings,
        });
        writer.AddRow(new Dictionary<string, object?> { ["image"] = new ImageSample(28, 28, ImageColorType.Gray8, pixels), ["mask"] = new ImageSample(2, 1, ImageColorType.Gray8, [0, 1]) });
        using var table = await writer.FinalizeAsync();

        var url = (string)table.Rows[0]["image"]!;
        Assert.Contains("/bulk_data/images/", url, StringComparison.Ordinal);
        Assert.EndsWith(".png", url, StringComparison.Ordinal);
        var image = Assert.IsType<ImageSample>(table[0]["image"]);
        Assert.Equal((28, 28, ImageColorType.Gray8), (image.Width, image.Height, image.ColorType));
        Assert.Equal(pixels, image.Pixels);
        Assert.Equal([0, 1], ((ImageSample)table[0]["mask"]!).Pixels);
    }

    private sealed class ReversedText : ISampleType
    {
        public string Name => "reversed_text";

        public object? Encode(object? value, SampleWriteContext context) => value is string s ? new string(s.Reverse().ToArray()) : value;

        public object? Decode(object? stored, SampleReadContext context) => stored is string s ? new string(s.Reverse().ToArray()) : stored;
    }

    [Fact]
    public async Task CustomSampleType_Registered_EncodesOnWriteAndDecodesOnRead()
    {
        var registry = new SampleTypeRegistry();
        registry.Register(new ReversedText());
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["text"] = new StringSchema { SampleType = "reversed_text" } },
            Project = "p", Dataset = "d", Table = "custom", Root = _root.Url, Settings = _root.Settings, SampleTypes = registry,
        });
        writer.AddRow(new Dictionary<string, object?> { ["text"] = "hello" });
        var written = await writer.FinalizeAsync();
        Assert.Equal("olleh", written.Rows[0]["text"]);

        var opened = await Table.OpenAsync(written.Url);
        // The default registry does not know the type: the stored value passes through.
        Assert.Equal("olleh", opened[0]["text"]);
        registry.Reset();
        Assert.Null(registry.Find("reversed_text"));
    }

    /// <summary>A real adapter keeping bytes in memory under the scheme mem://.</summary>
    private sealed class MemoryAdapter : IUrlAdapter
    {
        public ConcurrentDictionary<string, byte[]> Files { get; } = new();

        public IReadOnlyList<string> Schemes => ["mem"];

        public bool IsReadOnly => false;

        public Stream OpenRead(Url url) => Files.TryGetValue(url.Value, out var b) ? new MemoryStream(b, writable: false) : throw new UrlNotFoundException(url);

        public Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken) => Task.FromResult(OpenRead(url));

        public Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken) =>
            Files.TryGetValue(url.Value, out var b) ? Task.FromResult(b) : throw new UrlNotFoundException(url);

        public bool Exists(Url url) => Files.ContainsKey(url.Value) || Files.Keys.Any(k => k.StartsWith(url.Value + "/", StringComparison.Ordinal));

        public Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken) => Task.FromResult(Exists(url));

        public UrlWriteStream OpenWrite(Url url, WriteMode mode) => new Writer(this, url, mode);

        public async Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken)
        {
            await using var w = OpenWrite(url, mode);
            w.Write(data.Span);
            w.Commit();
        }

        public async IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.CompletedTask;
            foreach (var key in Files.Keys.Where(k => k.StartsWith(folder.Value + "/", StringComparison.Ordinal)).Order())
            {
                yield return new UrlEntry(new Url(key), false, Files[key].Length, null);
            }
        }

        public Task DeleteAsync(Url url, CancellationToken cancellationToken)
        {
            foreach (var key in Files.Keys.Where(k => k == url.Value || k.StartsWith(url.Value + "/", StringComparison.Ordinal)))
            {
                Files.TryRemove(key, out _);
            }
            return Task.CompletedTask;
        }

        private sealed class Writer(MemoryAdapter owner, Url url, WriteMode mode) : UrlWriteStream
        {
            private readonly MemoryStream _buffer = new();

            public override Url Url => url;

            public override long Length => _buffer.Length;

            public override long Position { get => _buffer.Position; set => throw new NotSupportedException(); }

            public override void Write(byte[] buffer, int offset, int count) => _buffer.Write(buffer, offset, count);

            public override void Flush()
            {
            }

            public override void Commit()
            {
                if (mode == WriteMode.CreateNew && !owner.Files.TryAdd(url.Value, _buffer.ToArray()))
                {
                    throw new UrlAlreadyExistsException(url);
                }
                if (mode == WriteMode.Overwrite)
                {
                    owner.Files[url.Value] = _buffer.ToArray();
                }
            }
        }
    }

    [Fact]
    public async Task CustomUrlAdapter_Registered_TablesLiveBehindIt()
    {
        var adapters = new UrlAdapterRegistry();
        var memory = new MemoryAdapter();
        adapters.Register(memory);
        adapters.Aliases.Register("MEMROOT", "mem://bucket/root");
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Int32Schema() },
            Project = "p", Dataset = "d", Table = "t", Root = new Url("<MEMROOT>"), Settings = _root.Settings, Adapters = adapters,
        });
        for (var i = 0; i < 100; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["x"] = i });
        }
        var table = await writer.FinalizeAsync();

        Assert.Equal("mem://bucket/root/projects/p/datasets/d/tables/t", table.Url.Value);
        Assert.Contains(memory.Files.Keys, k => k.EndsWith("object.tlc.json", StringComparison.Ordinal));
        var reopened = await Table.OpenAsync("<MEMROOT>/projects/p/datasets/d/tables/t", adapters);
        Assert.Equal(99, reopened.Rows[99]["x"]);
        var revision = await reopened.Edit().SetValue("x", 0, 7).CommitAsync();
        Assert.Equal(7, (await Table.LatestAsync(table.Url, adapters)).Rows[0]["x"]);
        Assert.Equal(revision.Url, (await reopened.LatestAsync()).Url);
        Assert.Throws<NotSupportedException>(() => UrlAdapterRegistry.Default.Resolve(new Url("mem://bucket/x")));
    }
}
