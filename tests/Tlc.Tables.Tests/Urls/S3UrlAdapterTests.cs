using System.Text;
using System.Text.Json.Nodes;
using Tlc.Schemas;
using Tlc.Tables.Configuration;
using Tlc.Tables.Import;
using Tlc.Tables.Storage;
using Tlc.Tables.Urls;
using Tlc.Testing;

namespace Tlc.Tables.Tests.Urls;

/// <summary>
/// Two s3rver processes shared by the tests of <see cref="S3UrlAdapterTests"/>: s3rver as it is (it ignores
/// <c>If-None-Match</c> on PUT) and s3rver answering it as Amazon S3 does (see <see cref="S3rver"/>).
/// </summary>
public sealed class S3Servers : IAsyncLifetime
{
    /// <summary>s3rver as it is.</summary>
    public S3rver Plain { get; private set; } = null!;

    /// <summary>s3rver refusing <c>If-None-Match: *</c> on an existing key with 412, as Amazon S3 does.</summary>
    public S3rver Conditional { get; private set; } = null!;

    /// <inheritdoc />
    public async ValueTask InitializeAsync()
    {
        var started = await Task.WhenAll(S3rver.StartAsync(conditionalWrites: false), S3rver.StartAsync(conditionalWrites: true));
        (Plain, Conditional) = (started[0], started[1]);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Plain.DisposeAsync();
        await Conditional.DisposeAsync();
    }
}

/// <summary>The S3 adapter against real s3rver processes on loopback (these tests fail when node or s3rver is missing).</summary>
public sealed class S3UrlAdapterTests(S3Servers servers) : IClassFixture<S3Servers>, IDisposable
{
    private readonly TlcOptions _settings = new();
    private readonly List<IDisposable> _adapters = [];

    public void Dispose()
    {
        foreach (var adapter in _adapters)
        {
            adapter.Dispose();
        }
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fresh bucket on <paramref name="server"/> and a registry whose S3 adapter reaches it.</summary>
    private async Task<(Url Root, UrlAdapterRegistry Registry)> BucketAsync(S3rver server, S3UrlAdapter? adapter = null)
    {
        adapter ??= server.NewAdapter();
        _adapters.Add(adapter);
        var bucket = await server.CreateBucketAsync("adapter", Ct);
        return (new Url($"s3://{bucket}/root"), S3rver.NewRegistry(adapter));
    }

    private TableWriterOptions Options(Url root, UrlAdapterRegistry registry, string table = "t", int? batchRows = null, int? chunkRows = null) => new()
    {
        Schema = new TableSchema { ["id"] = new Int64Schema(), ["name"] = new StringSchema { Nullable = true }, ["x"] = new Float32Schema() },
        Project = "p",
        Dataset = "d",
        Table = table,
        Root = root,
        IfExists = IfExists.Raise,
        Adapters = registry,
        Settings = _settings,
        BatchRows = batchRows,
        ChunkRows = chunkRows,
    };

    private static Dictionary<string, object?> Row(long i) => new() { ["id"] = i, ["name"] = i % 5 == 0 ? null : $"row {i}", ["x"] = i / 4f };

    private async Task<Table> WriteAsync(Url root, UrlAdapterRegistry registry, int rows, string table = "t", int? batchRows = null, int? chunkRows = null)
    {
        await using var writer = await TableWriter.CreateAsync(Options(root, registry, table, batchRows, chunkRows), Ct);
        for (long i = 0; i < rows; i++)
        {
            writer.AddRow(Row(i));
        }
        return await writer.FinalizeAsync(Ct);
    }

    private static async Task<List<UrlEntry>> ToListAsync(IAsyncEnumerable<UrlEntry> entries)
    {
        var list = new List<UrlEntry>();
        await foreach (var entry in entries)
        {
            list.Add(entry);
        }
        return list;
    }

    [Fact(Timeout = 120_000)]
    public async Task Objects_WriteReadRangedReadExistsDelete_RoundTrip()
    {
        var (root, registry) = await BucketAsync(servers.Plain, new S3UrlAdapter(servers.Plain.Options(), _ => null) { ReadAheadBytes = 1000 });
        var url = root.Join("a/b/data.bin");
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();

        await registry.WriteAllBytesAsync(url, data, WriteMode.CreateNew, Ct);

        Assert.Equal(data, await registry.ReadAllBytesAsync(url, Ct));
        Assert.True(await registry.ExistsAsync(url, Ct));
        Assert.True(await registry.ExistsAsync(root.Join("a"), Ct));
        Assert.True(registry.Exists(root.Join("a/b")));
        Assert.False(await registry.ExistsAsync(root.Join("a/b/data"), Ct));
        Assert.False(await registry.ExistsAsync(root.Join("a/c"), Ct));
        await using (var read = await registry.OpenReadAsync(url, Ct))
        {
            Assert.True(read.CanSeek);
            Assert.Equal(data.Length, read.Length);
            var buffer = new byte[2_500];
            // A read across the 1000-byte read-ahead fetches range after range; the stream reads exactly what is there.
            read.Seek(9_000, SeekOrigin.Begin);
            Assert.Equal(1_000, await read.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, Ct));
            Assert.Equal(data[9_000..], buffer[..1_000]);
            read.Position = 1_234;
            await read.ReadExactlyAsync(buffer, Ct);
            Assert.Equal(data[1_234..3_734], buffer);
            read.Seek(-1, SeekOrigin.End);
            Assert.Equal(data[^1], (byte)read.ReadByte());
            Assert.Equal(-1, read.ReadByte());
        }
        using (var read = registry.OpenRead(url))
        {
            read.Position = 5;
            Assert.Equal(data[5], (byte)read.ReadByte());
        }

        await registry.WriteAllBytesAsync(url, "replaced"u8.ToArray(), WriteMode.Overwrite, Ct);
        Assert.Equal("replaced", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));

        await registry.WriteAllBytesAsync(root.Join("a/other.bin"), new byte[] { 1 }, WriteMode.CreateNew, Ct);
        await registry.DeleteAsync(url, Ct);
        Assert.False(await registry.ExistsAsync(url, Ct));
        Assert.True(await registry.ExistsAsync(root.Join("a"), Ct));
        await registry.DeleteAsync(root.Join("a"), Ct);
        Assert.False(await registry.ExistsAsync(root.Join("a"), Ct));
        await registry.DeleteAsync(root.Join("a"), Ct); // deleting nothing is not an error
        await Assert.ThrowsAsync<UrlNotFoundException>(() => registry.ReadAllBytesAsync(url, Ct));
        await Assert.ThrowsAsync<UrlNotFoundException>(() => registry.OpenReadAsync(url, Ct));
        Assert.Throws<UrlNotFoundException>(() => registry.OpenRead(url));
    }

    [Fact(Timeout = 180_000)]
    public async Task List_MoreKeysThanAPage_EveryKeyOnceRecursiveAndByFolder()
    {
        var (root, registry) = await BucketAsync(servers.Plain);
        // 1,005 keys: more than the 1,000 S3 answers at most per request, so the listing follows a continuation token.
        var keys = Enumerable.Range(0, 1_005).Select(i => root.Join($"many/{i % 3}/{i:D5}.bin")).ToArray();
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct },
            async (key, ct) => await registry.WriteAllBytesAsync(key, new byte[] { 1, 2, 3 }, WriteMode.CreateNew, ct));
        await registry.WriteAllBytesAsync(root.Join("many/top.bin"), new byte[] { 4 }, WriteMode.CreateNew, Ct);

        var all = await ToListAsync(registry.ListAsync(root.Join("many"), recursive: true, Ct));
        Assert.Equal(keys.Append(root.Join("many/top.bin")).Order(), all.Select(e => e.Url).Order());
        Assert.All(all, e => Assert.False(e.IsFolder));
        Assert.All(all, e => Assert.NotNull(e.LastModified));
        Assert.Equal(3 * 1_005 + 1, all.Sum(e => e.Length));

        // A small page size: the folders and files of one level, each once, over many pages.
        var paged = new S3UrlAdapter(servers.Plain.Options(), _ => null) { ListPageSize = 2 };
        _adapters.Add(paged);
        var top = await ToListAsync(paged.ListAsync(root.Join("many"), recursive: false, Ct));
        Assert.Equal([(root.Join("many/0"), true), (root.Join("many/1"), true), (root.Join("many/2"), true), (root.Join("many/top.bin"), false)],
            top.Select(e => (e.Url, e.IsFolder)).Order());
        var one = await ToListAsync(paged.ListAsync(root.Join("many/1"), recursive: false, Ct));
        Assert.Equal(keys.Where((_, i) => i % 3 == 1).Order(), one.Select(e => e.Url).Order());
        Assert.Empty(await ToListAsync(registry.ListAsync(root.Join("nothing/here"), recursive: true, Ct)));

        await registry.DeleteAsync(root.Join("many"), Ct);
        Assert.Empty(await ToListAsync(registry.ListAsync(root, recursive: true, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task TableOnS3_WriteReopenRandomAccessEditAndLatest()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        using var written = await WriteAsync(root, registry, 1000, batchRows: 100, chunkRows: 300);
        Assert.Equal(root.Join("projects/p/datasets/d/tables/t"), written.Url);
        Assert.Equal(4, written.Object.Chunks.Count);

        using var table = await Table.OpenAsync(written.Url, registry, Ct);
        Assert.Equal(1000, table.RowCount);
        foreach (var i in new long[] { 999, 0, 299, 300, 650, 101 })
        {
            var row = table.Rows[i];
            Assert.Equal(Row(i)["id"], row["id"]);
            Assert.Equal(Row(i)["name"], row["name"]);
            Assert.Equal(Row(i)["x"], row["x"]);
        }

        using var revision = await table.Edit().SetValue("name", 651, "edited").CommitAsync(Ct);
        Assert.Equal(root.Join("projects/p/datasets/d/tables/t.r0001"), revision.Url);
        Assert.Equal("edited", revision.Rows[651]["name"]);
        Assert.Equal("row 652", revision.Rows[652]["name"]);
        using var reopened = await Table.OpenAsync(written.Url, registry, Ct);
        Assert.Equal("row 651", reopened.Rows[651]["name"]);

        using var latest = await Table.LatestAsync(written.Url, registry, Ct);
        Assert.Equal(revision.Url, latest.Url);
        Assert.Equal("edited", latest.Rows[651]["name"]);
        // The revision is published with If-None-Match: *: an edit of the old head loses and is told the new one.
        await Assert.ThrowsAsync<StaleRevisionException>(() => table.Edit().SetValue("name", 1, "late").CommitAsync(Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task CreateNew_TwoWritersRacingForOneObject_ExactlyOneWins()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        var url = root.Join("race/object.json");
        var streams = new[] { registry.OpenWrite(url, WriteMode.CreateNew), registry.OpenWrite(url, WriteMode.CreateNew) };
        for (var i = 0; i < streams.Length; i++)
        {
            streams[i].Write(Encoding.UTF8.GetBytes($"writer {i}"));
        }

        var outcomes = await Task.WhenAll(streams.Select(async s =>
        {
            try
            {
                await s.CommitAsync(Ct);
                return (Won: true, Error: (Exception?)null);
            }
            catch (Exception e)
            {
                return (Won: false, Error: e);
            }
            finally
            {
                await s.DisposeAsync();
            }
        }));

        Assert.Single(outcomes, o => o.Won);
        var loser = Assert.IsType<UrlAlreadyExistsException>(Assert.Single(outcomes, o => !o.Won).Error);
        Assert.Equal($"Already exists: {url}", loser.Message);
        var winner = Array.FindIndex(outcomes, o => o.Won);
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));
        await Assert.ThrowsAsync<UrlAlreadyExistsException>(() => registry.WriteAllBytesAsync(url, new byte[] { 1 }, WriteMode.CreateNew, Ct));
        await registry.WriteAllBytesAsync(url, "replaced"u8.ToArray(), WriteMode.Overwrite, Ct);
        Assert.Equal("replaced", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task TableWriters_RacingToPublishOneTable_OneWinsTheLoserLeavesNoChunks()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        var writers = new[] { await TableWriter.CreateAsync(Options(root, registry, "same"), Ct), await TableWriter.CreateAsync(Options(root, registry, "same"), Ct) };
        for (var w = 0; w < writers.Length; w++)
        {
            writers[w].AddRow(Row(w));
        }

        var outcomes = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                using var table = await w.FinalizeAsync(Ct);
                return (Exception?)null;
            }
            catch (Exception e)
            {
                return e;
            }
            finally
            {
                await w.DisposeAsync();
            }
        }));

        Assert.Single(outcomes, o => o is null);
        Assert.IsType<TableExistsException>(Assert.Single(outcomes, o => o is not null));
        var winner = Array.IndexOf(outcomes, null);
        using var published = await Table.OpenAsync(root.Join("projects/p/datasets/d/tables/same"), registry, Ct);
        Assert.Equal((long)winner, published.Rows[0]["id"]);
        var chunks = await ToListAsync(registry.ListAsync(published.Url.Join("chunks"), recursive: true, Ct));
        Assert.Equal(published.Object.Chunks.Select(c => published.Url.Join(c.Url)).Order(), chunks.Select(c => c.Url).Order());
    }

    [Fact(Timeout = 120_000)]
    public async Task CreateNew_PlainS3rverIgnoresIfNoneMatch_TheSecondPutReplacesTheFirst()
    {
        // What the emulator supports: s3rver 3.7 accepts If-None-Match: * on PUT and writes anyway. Where a store does
        // this, publication is not create-if-absent; s3.conditional_writes: false makes the adapter check first.
        var (root, registry) = await BucketAsync(servers.Plain, servers.Plain.NewAdapter(conditionalWrites: true));
        var url = root.Join("ignored.txt");

        await registry.WriteAllBytesAsync(url, "first"u8.ToArray(), WriteMode.CreateNew, Ct);
        await registry.WriteAllBytesAsync(url, "second"u8.ToArray(), WriteMode.CreateNew, Ct);

        Assert.Equal("second", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task CreateNew_WithoutConditionalWrites_AHeadCheckRefusesAnExistingObjectAndTable()
    {
        var (root, registry) = await BucketAsync(servers.Plain, servers.Plain.NewAdapter(conditionalWrites: false));
        var url = root.Join("checked.txt");
        await registry.WriteAllBytesAsync(url, "first"u8.ToArray(), WriteMode.CreateNew, Ct);

        await Assert.ThrowsAsync<UrlAlreadyExistsException>(() => registry.WriteAllBytesAsync(url, "second"u8.ToArray(), WriteMode.CreateNew, Ct));
        Assert.Equal("first", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));

        using var table = await WriteAsync(root, registry, 10);
        using var revision = await table.Edit().SetValue("name", 1, "edited").CommitAsync(Ct);
        await Assert.ThrowsAsync<StaleRevisionException>(() => table.Edit().SetValue("name", 2, "late").CommitAsync(Ct));
        await Assert.ThrowsAsync<TableExistsException>(() => WriteAsync(root, registry, 10));
    }

    [Fact(Timeout = 120_000)]
    public async Task Multipart_AboveTheThreshold_UploadedInPartsAndPublishedCreateIfAbsent()
    {
        var adapter = new S3UrlAdapter(servers.Conditional.Options(), _ => null) { MultipartThreshold = 6 << 20, PartSize = 5 << 20 };
        var (root, registry) = await BucketAsync(servers.Conditional, adapter);
        var url = root.Join("large.bin");
        var data = new byte[(12 << 20) + 123];
        new Random(7).NextBytes(data);

        await using (var stream = registry.OpenWrite(url, WriteMode.CreateNew))
        {
            await stream.WriteAsync(data, Ct);
            await stream.CommitAsync(Ct);
        }

        Assert.Equal(data, await registry.ReadAllBytesAsync(url, Ct));
        var e = await Assert.ThrowsAsync<UrlAlreadyExistsException>(() => registry.WriteAllBytesAsync(url, data, WriteMode.CreateNew, Ct));
        Assert.Equal(url, e.Url);
        Assert.Equal(data, await registry.ReadAllBytesAsync(url, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task WriteStream_DisposedWithoutCommit_PublishesNothing()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        var url = root.Join("discarded.bin");
        await using (var stream = registry.OpenWrite(url, WriteMode.CreateNew))
        {
            stream.Write(new byte[1000]);
        }

        Assert.False(await registry.ExistsAsync(url, Ct));
        using (var stream = registry.OpenWrite(url, WriteMode.CreateNew))
        {
            stream.Write("sync"u8);
            stream.Commit();
        }
        Assert.Equal("sync", Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(url, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task ImportCsv_FromS3IntoAnS3Root_ThenExportsToS3()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        var source = root.Join("incoming/flowers.csv");
        var csv = new StringBuilder("id,species,petal\n");
        for (var i = 0; i < 200; i++)
        {
            csv.Append(System.Globalization.CultureInfo.InvariantCulture, $"{i},{(i % 2 == 0 ? "setosa" : "virginica")},{i / 10.0}\n");
        }
        await registry.WriteAllBytesAsync(source, Encoding.UTF8.GetBytes(csv.ToString()), WriteMode.CreateNew, Ct);

        using var table = await Table.FromCsvAsync(source.Value,
            new CsvImportOptions { Project = "p", Dataset = "d", Table = "flowers", Root = root, Adapters = registry, Settings = _settings }, Ct);

        Assert.Equal(root.Join("projects/p/datasets/d/tables/flowers"), table.Url);
        Assert.Equal(200, table.RowCount);
        Assert.Equal("virginica", table.Rows[199]["species"]);

        var csvTarget = root.Join("exports/flowers.csv");
        var ndjson = root.Join("exports/flowers.ndjson");
        var parquet = root.Join("exports/flowers.parquet");
        var result = await table.ExportCsvAsync(csvTarget.Value, new Tlc.Tables.Export.ExportOptions { Columns = ["id", "species"] }, Ct);
        await table.ExportJsonAsync(ndjson.Value, cancellationToken: Ct);
        await table.ExportParquetAsync(parquet.Value, cancellationToken: Ct);

        Assert.Equal(csvTarget, result.Target);
        var lines = Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(csvTarget, Ct)).TrimEnd('\n').Split('\n');
        Assert.Equal(201, lines.Length);
        Assert.Equal(["id,species", "0,setosa", "1,virginica"], lines[..3]);
        Assert.Equal(200, Encoding.UTF8.GetString(await registry.ReadAllBytesAsync(ndjson, Ct)).TrimEnd('\n').Split('\n').Length);
        var bytes = await registry.ReadAllBytesAsync(parquet, Ct);
        Assert.Equal("PAR1"u8.ToArray(), bytes[..4]);

        // The Parquet export read back through the importer, from S3 again.
        using var again = await Table.FromParquetAsync(parquet.Value,
            new ParquetImportOptions { Project = "p", Dataset = "d", Table = "again", Root = root, Adapters = registry, Settings = _settings }, Ct);
        Assert.Equal(200, again.RowCount);

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var notWritten = root.Join("exports/cancelled.parquet");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => table.ExportParquetAsync(notWritten.Value, null, cancelled.Token));
        Assert.False(await registry.ExistsAsync(notWritten, Ct));
    }

    [Fact(Timeout = 120_000)]
    public async Task MissingBucket_EveryOperation_FailsNamingTheBucketAndTheUrl()
    {
        var adapter = servers.Plain.NewAdapter();
        _adapters.Add(adapter);
        var registry = S3rver.NewRegistry(adapter);
        var bucket = S3rver.NewBucketName("absent");
        var url = new Url($"s3://{bucket}/root/projects/p/datasets/d/tables/t");
        var expected = $"The bucket '{bucket}' of {url}";

        var errors = new List<Exception>
        {
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => registry.ReadAllBytesAsync(url, Ct)),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => registry.OpenReadAsync(url, Ct)),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => registry.ExistsAsync(url, Ct)),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => registry.WriteAllBytesAsync(url, new byte[] { 1 }, WriteMode.Overwrite, Ct)),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => ToListAsync(registry.ListAsync(url, recursive: true, Ct))),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => registry.DeleteAsync(url, Ct)),
            await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => Table.OpenAsync(url, registry, Ct)),
        };

        Assert.All(errors, e => Assert.StartsWith(expected, e.Message, StringComparison.Ordinal));
        Assert.All(errors, e => Assert.Contains($"does not exist at {servers.Plain.Endpoint}: create it first (Tlc does not create buckets)", e.Message, StringComparison.Ordinal));
        var writing = await Assert.ThrowsAsync<UrlContainerNotFoundException>(() => WriteAsync(new Url($"s3://{bucket}/root"), registry, 3));
        Assert.StartsWith($"The bucket '{bucket}' of s3://{bucket}/root/", writing.Message, StringComparison.Ordinal);
        var none = Assert.Throws<ArgumentException>(() => registry.Exists(new Url("s3:///key")));
        Assert.Contains("names no bucket", none.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task WrongCredentials_AnUnknownAccessKeyIsRefused_NamingTheUrlTheEndpointAndWhatToCheck()
    {
        var bucket = await servers.Plain.CreateBucketAsync("creds", Ct);
        var url = new Url($"s3://{bucket}/data.bin");
        var right = servers.Plain.NewAdapter();
        _adapters.Add(right);
        await right.WriteAllBytesAsync(url, "secret"u8.ToArray(), WriteMode.CreateNew, Ct);
        var wrongKey = new S3UrlAdapter(Copy(servers.Plain.Options(), keyId: "NOBODY", secret: "not-the-secret"), _ => null);
        _adapters.Add(wrongKey);
        var registry = S3rver.NewRegistry(wrongKey);

        var read = await Assert.ThrowsAsync<UrlAccessDeniedException>(() => registry.ReadAllBytesAsync(url, Ct));
        var write = await Assert.ThrowsAsync<UrlAccessDeniedException>(() => registry.WriteAllBytesAsync(url, new byte[] { 1 }, WriteMode.Overwrite, Ct));
        var list = await Assert.ThrowsAsync<UrlAccessDeniedException>(() => ToListAsync(registry.ListAsync(url.Parent, recursive: true, Ct)));
        var exists = await Assert.ThrowsAsync<UrlAccessDeniedException>(() => registry.ExistsAsync(url, Ct));
        var open = await Assert.ThrowsAsync<UrlAccessDeniedException>(() => Table.OpenAsync(url.Parent.Join("t"), registry, Ct));

        Assert.StartsWith($"{servers.Plain.Endpoint} refused to read {url}: 403 InvalidAccessKeyId", read.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{servers.Plain.Endpoint} refused to write {url}: 403 InvalidAccessKeyId", write.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{servers.Plain.Endpoint} refused to list {url.Parent}: 403 InvalidAccessKeyId", list.Message, StringComparison.Ordinal);
        Assert.StartsWith($"{servers.Plain.Endpoint} refused to read {url}: 403", exists.Message, StringComparison.Ordinal);
        Assert.Contains(url.Parent.Join("t").Value, open.Message, StringComparison.Ordinal);
        Assert.All(new Exception[] { read, write, list, exists, open }, e =>
        {
            Assert.Contains("Check the credentials (s3.access_key_id and s3.secret_access_key) and their permissions on the bucket.", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("not-the-secret", e.Message, StringComparison.Ordinal);
        });
        Assert.Equal("secret", Encoding.UTF8.GetString(await right.ReadAllBytesAsync(url, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task WrongCredentials_AWrongSecretOfAKnownKey_S3rverDoesNotVerifySigV4Signatures()
    {
        // What the emulator supports: s3rver 3.7 checks the access key id only (SigV4 signature checking is not
        // implemented in it), so a wrong secret is accepted there; Amazon S3 answers 403 SignatureDoesNotMatch, which the
        // adapter reports as for an unknown key.
        var bucket = await servers.Plain.CreateBucketAsync("creds", Ct);
        var url = new Url($"s3://{bucket}/data.bin");
        var wrongSecret = new S3UrlAdapter(Copy(servers.Plain.Options(), secret: "not-the-secret"), _ => null);
        _adapters.Add(wrongSecret);

        await wrongSecret.WriteAllBytesAsync(url, "accepted"u8.ToArray(), WriteMode.CreateNew, Ct);

        Assert.Equal("accepted", Encoding.UTF8.GetString(await wrongSecret.ReadAllBytesAsync(url, Ct)));
    }

    [Fact(Timeout = 120_000)]
    public async Task AwsEnvironmentVariablesOnly_EndpointKeysAndRegion_ReachTheStore()
    {
        var bucket = await servers.Plain.CreateBucketAsync("env", Ct);
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL"] = servers.Plain.Endpoint,
            ["AWS_ACCESS_KEY_ID"] = S3rver.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = S3rver.SecretAccessKey,
            ["AWS_REGION"] = "eu-central-1",
        };
        var adapter = new S3UrlAdapter(new S3Options { ForcePathStyle = true }, environment.GetValueOrDefault);
        _adapters.Add(adapter);
        var url = new Url($"s3://{bucket}/from-env.txt");

        await adapter.WriteAllBytesAsync(url, "env"u8.ToArray(), WriteMode.CreateNew, Ct);

        Assert.Equal(servers.Plain.Endpoint, adapter.Endpoint);
        Assert.Equal("env", Encoding.UTF8.GetString(await adapter.ReadAllBytesAsync(url, Ct)));
    }

    private static S3Options Copy(S3Options options, string? keyId = null, string? secret = null) => new()
    {
        Endpoint = options.Endpoint,
        Region = options.Region,
        AccessKeyId = keyId ?? options.AccessKeyId,
        SecretAccessKey = secret ?? options.SecretAccessKey,
        ForcePathStyle = options.ForcePathStyle,
        ConditionalWrites = options.ConditionalWrites,
    };

    [Theory(Timeout = 120_000)]
    [InlineData("../../../../../../../secret.arrow", "outside")]
    [InlineData("s3://{bucket}/secret.arrow", "points outside")]
    [InlineData("s3://elsewhere/root/secret.arrow", "points outside")]
    public async Task ChunkKeyOutsideTheRoot_FailsToOpen_NamingTheKey(string chunkUrl, string expected)
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        using var written = await WriteAsync(root, registry, 3);
        var bucket = S3UrlAdapter.Parse(root).Bucket;
        chunkUrl = chunkUrl.Replace("{bucket}", bucket, StringComparison.Ordinal);
        await registry.WriteAllBytesAsync(new Url($"s3://{bucket}/secret.arrow"), "not yours"u8.ToArray(), WriteMode.CreateNew, Ct);
        var objectUrl = written.Url.Join(TableObject.FileName);
        var json = JsonNode.Parse(await registry.ReadAllBytesAsync(objectUrl, Ct))!;
        json["chunks"]![0]!["url"] = chunkUrl;
        await registry.WriteAllBytesAsync(objectUrl, Encoding.UTF8.GetBytes(json.ToJsonString()), WriteMode.Overwrite, Ct);

        var e = await Assert.ThrowsAsync<FormatException>(() => Table.OpenAsync(written.Url, registry, Ct));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Contains("path traversal refused", e.Message, StringComparison.Ordinal);
        Assert.Contains(chunkUrl, e.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task GarbageCollect_OrphanChunkFilesOnS3_RemovedOnly()
    {
        var (root, registry) = await BucketAsync(servers.Conditional);
        using var table = await WriteAsync(root, registry, 20);
        var chunk = table.Url.Join(table.Object.Chunks[0].Url);
        var bytes = await registry.ReadAllBytesAsync(chunk, Ct);
        // What a writer whose process died leaves: a chunk no object file names.
        var orphan = table.Url.Join("chunks/20240101000000-deadbeef-00000.arrow");
        await registry.WriteAllBytesAsync(orphan, bytes, WriteMode.CreateNew, Ct);

        var report = await GarbageCollector.CollectAsync(root, registry, TimeSpan.Zero, [], dryRun: false, DateTimeOffset.UtcNow, Ct);

        Assert.Equal([orphan], report.Removed);
        Assert.False(await registry.ExistsAsync(orphan, Ct));
        Assert.True(await registry.ExistsAsync(chunk, Ct));
        using var reopened = await Table.OpenAsync(table.Url, registry, Ct);
        Assert.Equal(20, reopened.RowCount);
    }
}
