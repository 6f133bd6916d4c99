using Tlc.Schemas;
using Tlc.Tables;
using Tlc.Tables.Revisions;
using Tlc.Testing.Cluster;

namespace Tlc.Sdk.Tests;

/// <summary>The tests of <see cref="ClusterTableCatalogTests{TCluster}"/> on the three-silo cluster with grain state on Azurite.</summary>
public sealed class ClusterTableCatalogTests(ClusterFixture fixture) : ClusterTableCatalogTests<ClusterFixture>(fixture);

/// <summary>The tests of <see cref="ClusterTableCatalogTests{TCluster}"/> on the three-silo cluster over Redis (membership, grain state, reminders).</summary>
public sealed class ClusterTableCatalogRedisTests(RedisClusterFixture fixture) : ClusterTableCatalogTests<RedisClusterFixture>(fixture);

public abstract class ClusterTableCatalogTests<TCluster>(TCluster fixture) : IClassFixture<TCluster>
    where TCluster : ClusterFixture
{
    private async Task<Table> SourceAsync(string name)
    {
        await using var writer = await TableWriter.CreateAsync(new TableWriterOptions
        {
            Schema = new TableSchema { ["x"] = new Int64Schema() },
            Project = "p", Dataset = "lineage", Table = name, Root = fixture.Root.Url, Settings = fixture.Root.Settings,
        });
        for (var i = 0; i < 10; i++)
        {
            writer.AddRow(new Dictionary<string, object?> { ["x"] = (long)i });
        }
        return await writer.FinalizeAsync();
    }

    [Fact(Timeout = 120_000)]
    public async Task ConcurrentEdits_SameHead_ExactlyOnePublishedOtherNamesNewHead()
    {
        var table = await SourceAsync("concurrent");
        var catalog = fixture.Context().Catalog;

        var attempts = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            try
            {
                return (Published: await table.Edit(catalog).SetValue("x", 0, 100L + i).CommitAsync(), Error: (StaleRevisionException?)null);
            }
            catch (StaleRevisionException e)
            {
                return (Published: (Table?)null, Error: e);
            }
        }));

        var winner = Assert.Single(attempts, a => a.Published is not null).Published!;
        Assert.Equal("concurrent.r0001", winner.Url.Name);
        Assert.All(attempts.Where(a => a.Error is not null), a => Assert.Contains("concurrent.r0001", a.Error!.Message));
        Assert.Equal(winner.Url, (await table.LatestAsync(catalog)).Url);
        Assert.Equal(winner.Object.Id, (await Table.OpenAsync(winner.Url)).Object.Id);
    }

    [Fact(Timeout = 120_000)]
    public async Task GetHead_RevisionPublishedThroughFilesOnly_IsFound()
    {
        var table = await SourceAsync("files-only");
        var catalog = fixture.Context().Catalog;
        var first = await table.Edit(catalog).SetValue("x", 1, 7L).CommitAsync();

        var second = await first.Edit(new FileScanCatalog()).SetValue("x", 2, 8L).CommitAsync();

        Assert.Equal(second.Url, await catalog.GetHeadAsync(table.Url, CancellationToken.None));
        var third = await second.Edit(catalog).SetValue("x", 3, 9L).CommitAsync();
        Assert.Equal("files-only.r0003", third.Url.Name);
        await Assert.ThrowsAsync<StaleRevisionException>(() => first.Edit(catalog).SetValue("x", 4, 1L).CommitAsync());
        Assert.Equal(9L, (long)(await table.LatestAsync(catalog))[3]["x"]!);
    }
}
