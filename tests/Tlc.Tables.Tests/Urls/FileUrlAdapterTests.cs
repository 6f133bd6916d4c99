using System.Text;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

public sealed class FileUrlAdapterTests : IDisposable
{
    private readonly TempRoot _root = new("file-adapter");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task WriteCreateNew_ConcurrentWriters_ExactlyOneWinsEachTime_ItsBytesStay()
    {
        var adapters = new UrlAdapterRegistry();
        for (var round = 0; round < 100; round++)
        {
            var target = _root.Url.Join($"round-{round}/object.tlc.json");
            using var start = new ManualResetEventSlim();
            var writers = Enumerable.Range(0, 6).Select(w => Task.Run(async () =>
            {
                start.Wait();
                try
                {
                    await adapters.WriteAllBytesAsync(target, Encoding.UTF8.GetBytes($"writer {w}"), WriteMode.CreateNew, CancellationToken.None);
                    return w;
                }
                catch (UrlAlreadyExistsException)
                {
                    return -1;
                }
            })).ToList();
            start.Set();
            var winners = (await Task.WhenAll(writers)).Where(w => w >= 0).ToList();

            var winner = Assert.Single(winners);
            Assert.Equal($"writer {winner}", await File.ReadAllTextAsync(target.LocalPath));
            Assert.Single(Directory.GetFiles(Path.GetDirectoryName(target.LocalPath)!));
        }
    }
}
