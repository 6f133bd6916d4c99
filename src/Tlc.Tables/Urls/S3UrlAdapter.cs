using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Tlc.Tables.Configuration;

namespace Tlc.Tables.Urls;

/// <summary>
/// The <c>s3://&lt;bucket&gt;/&lt;key&gt;</c> adapter over Amazon S3 or an S3-compatible store (MinIO, s3rver, …).
/// Folders are key prefixes ending in <c>/</c>. Reads are ranged (a seekable stream fetching what is read, pinned to the
/// object's ETag); writes upload from a local temporary file on commit, in one PUT or, above
/// <see cref="MultipartThreshold"/>, as a multipart upload. <see cref="WriteMode.CreateNew"/> sends
/// <c>If-None-Match: *</c> where <see cref="ConditionalWrites"/> is on, so publishing is atomic create-if-absent;
/// where it is off (a store that ignores the header), a HEAD request checks first, which is not atomic. Buckets are never
/// created: a missing bucket is an error naming it.
/// </summary>
public sealed class S3UrlAdapter : IUrlAdapter, IDisposable
{
    /// <summary>The scheme served.</summary>
    public const string Scheme = "s3";

    /// <summary>The error for an access key id without its secret.</summary>
    internal const string KeyIdWithoutSecret =
        "s3.access_key_id is set but s3.secret_access_key is not: set both (or neither, for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS SDK's default credentials).";

    /// <summary>The error for a secret without its access key id.</summary>
    internal const string SecretWithoutKeyId =
        "s3.secret_access_key is set but s3.access_key_id is not: set both (or neither, for AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the AWS SDK's default credentials).";

    private const int MaxPage = 1000;
    private const int ConflictRetries = 3;
    private const int MinimumPartSize = 5 << 20;
    private readonly Lazy<IAmazonS3> _client;
    private readonly bool _ownsClient;
    private readonly string _credentialSource;
    private readonly ConcurrentDictionary<string, bool> _knownBuckets = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates the adapter from the <c>s3</c> settings; each unset setting falls back to its AWS environment variable
    /// (<c>AWS_ENDPOINT_URL_S3</c>, <c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>,
    /// <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>), then to the AWS SDK's defaults.
    /// The client is made on first use.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="environment">Reads environment variables (default: the process environment).</param>
    /// <exception cref="FormatException">The endpoint is not an http(s) URL, or only one of the access key id and the secret is set.</exception>
    public S3UrlAdapter(S3Options options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = environment ?? Environment.GetEnvironmentVariable;
        var endpoint = Setting(options.Endpoint) ?? Setting(env("AWS_ENDPOINT_URL_S3")) ?? Setting(env("AWS_ENDPOINT_URL"));
        var region = Setting(options.Region) ?? Setting(env("AWS_REGION")) ?? Setting(env("AWS_DEFAULT_REGION")) ?? "us-east-1";
        if (endpoint is not null && !(Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"))
        {
            throw new FormatException($"s3.endpoint must be an http(s) URL, got '{endpoint}'.");
        }
        AWSCredentials? credentials;
        if (Setting(options.AccessKeyId) is { } keyId)
        {
            var secret = Setting(options.SecretAccessKey) ?? throw new FormatException(KeyIdWithoutSecret);
            credentials = Setting(options.SessionToken) is { } token ? new SessionAWSCredentials(keyId, secret, token) : new BasicAWSCredentials(keyId, secret);
            _credentialSource = "s3.access_key_id and s3.secret_access_key";
        }
        else if (Setting(options.SecretAccessKey) is not null)
        {
            throw new FormatException(SecretWithoutKeyId);
        }
        else if (Setting(env("AWS_ACCESS_KEY_ID")) is { } envKeyId && Setting(env("AWS_SECRET_ACCESS_KEY")) is { } envSecret)
        {
            credentials = Setting(env("AWS_SESSION_TOKEN")) is { } token ? new SessionAWSCredentials(envKeyId, envSecret, token) : new BasicAWSCredentials(envKeyId, envSecret);
            _credentialSource = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
        }
        else
        {
            credentials = null;
            _credentialSource = "the AWS SDK's default credentials (profile, web identity, instance or container role)";
        }
        Endpoint = endpoint ?? $"https://s3.{region}.amazonaws.com";
        ConditionalWrites = options.ConditionalWrites;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Checksums only where an operation requires one: S3-compatible stores often reject or store the trailing
            // checksums of aws-chunked uploads; SigV4 payload signing still covers every upload's bytes.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }
        _client = new Lazy<IAmazonS3>(() => credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config));
        _ownsClient = true;
    }

    /// <summary>Creates the adapter over a client the caller owns.</summary>
    /// <param name="client">The S3 client.</param>
    /// <param name="endpoint">The endpoint, for messages.</param>
    /// <param name="conditionalWrites">Whether the store honours <c>If-None-Match: *</c> on PUT (see <see cref="ConditionalWrites"/>).</param>
    public S3UrlAdapter(IAmazonS3 client, string endpoint, bool conditionalWrites = true)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        _client = new Lazy<IAmazonS3>(client);
        Endpoint = endpoint;
        ConditionalWrites = conditionalWrites;
        _credentialSource = "the client's credentials";
    }

    /// <inheritdoc />
    public IReadOnlyList<string> Schemes { get; } = [Scheme];

    /// <inheritdoc />
    public bool IsReadOnly => false;

    /// <summary>The store's endpoint URL (named in errors).</summary>
    public string Endpoint { get; }

    /// <summary>
    /// True: <see cref="WriteMode.CreateNew"/> sends <c>If-None-Match: *</c> (atomic where the store honours it). False:
    /// it checks with a HEAD request first (not atomic).
    /// </summary>
    public bool ConditionalWrites { get; }

    /// <summary>Keys asked for per list request (1–1000). Default: 1000, S3's most.</summary>
    public int ListPageSize
    {
        get;
        init => field = value is >= 1 and <= MaxPage ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "1 to 1000 keys per page.");
    } = MaxPage;

    /// <summary>Bytes an upload may have before it is sent as a multipart upload. Default: 64 MiB.</summary>
    public long MultipartThreshold { get; init; } = 64L << 20;

    /// <summary>The part size of a multipart upload (at least 5 MiB, S3's least). Default: 16 MiB.</summary>
    public int PartSize
    {
        get;
        init => field = value >= MinimumPartSize ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "At least 5 MiB.");
    } = 16 << 20;

    /// <summary>Bytes a read stream fetches at least per request. Default: 1 MiB.</summary>
    public int ReadAheadBytes { get; init; } = 1 << 20;

    private IAmazonS3 Client => _client.Value;

    /// <summary>Splits <c>s3://bucket/key</c> into the bucket and the key ("" for the bucket itself).</summary>
    /// <exception cref="ArgumentException">Not an s3:// URL, or it names no bucket.</exception>
    public static (string Bucket, string Key) Parse(Url url)
    {
        if (url.Scheme != Scheme)
        {
            throw new ArgumentException($"'{url}' is not an s3:// URL.", nameof(url));
        }
        var rest = url.Value[(Scheme.Length + 3)..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var (bucket, key) = slash < 0 ? (rest, "") : (rest[..slash], rest[(slash + 1)..]);
        if (bucket.Length == 0)
        {
            throw new ArgumentException($"'{url}' names no bucket: write s3://<bucket>/<key>.", nameof(url));
        }
        return (bucket, key);
    }

    private static (string Bucket, string Key) Object(Url url)
    {
        var (bucket, key) = Parse(url);
        if (key.Length == 0)
        {
            throw new ArgumentException($"'{url}' names a bucket, not an object.", nameof(url));
        }
        return (bucket, key);
    }

    private static Url ToUrl(string bucket, string key) => new($"{Scheme}://{bucket}/{key}");

    /// <inheritdoc />
    public Stream OpenRead(Url url) => OpenReadAsync(url, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<Stream> OpenReadAsync(Url url, CancellationToken cancellationToken)
    {
        var (bucket, key) = Object(url);
        var metadata = await HeadAsync(url, bucket, key, cancellationToken).ConfigureAwait(false) ?? throw new UrlNotFoundException(url);
        return new S3ReadStream(this, url, bucket, key, metadata.ContentLength, metadata.ETag);
    }

    /// <inheritdoc />
    public async Task<byte[]> ReadAllBytesAsync(Url url, CancellationToken cancellationToken)
    {
        var (bucket, key) = Object(url);
        try
        {
            using var response = await Client.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            var buffer = new MemoryStream(response.ContentLength is > 0 and < int.MaxValue ? (int)response.ContentLength : 0);
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }
        catch (Exception e) when (Translate(e, url, "read") is { } error)
        {
            throw error;
        }
    }

    /// <inheritdoc />
    public bool Exists(Url url) => ExistsAsync(url, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public async Task<bool> ExistsAsync(Url url, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(url);
        if (key.Length > 0 && await HeadAsync(url, bucket, key, cancellationToken).ConfigureAwait(false) is not null)
        {
            return true;
        }
        // A folder exists while a key lies under it (this also tells a missing bucket, which a HEAD cannot).
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = FolderPrefix(key), MaxKeys = 1 };
        try
        {
            var response = await Client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            return response.KeyCount > 0 || response.S3Objects is { Count: > 0 };
        }
        catch (Exception e) when (Translate(e, url, "list") is { } error)
        {
            throw error;
        }
    }

    /// <summary>The object's metadata, or null when there is none at the key (HEAD answers 404).</summary>
    private async Task<GetObjectMetadataResponse?> HeadAsync(Url url, string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            var metadata = await Client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            _knownBuckets[bucket] = true;
            return metadata;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound && e.ErrorCode != "NoSuchBucket")
        {
            // A HEAD answer has no body, so a missing bucket looks like a missing key here: tell them apart by listing.
            await ThrowIfBucketMissingAsync(url, bucket, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (Translate(e, url, "read") is { } error)
        {
            throw error;
        }
    }

    private async Task ThrowIfBucketMissingAsync(Url url, string bucket, CancellationToken cancellationToken)
    {
        if (_knownBuckets.ContainsKey(bucket))
        {
            return;
        }
        try
        {
            await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken).ConfigureAwait(false);
            _knownBuckets[bucket] = true;
        }
        catch (Exception e) when (Translate(e, url, "list") is { } error)
        {
            throw error;
        }
    }

    /// <inheritdoc />
    public UrlWriteStream OpenWrite(Url url, WriteMode mode)
    {
        Object(url);
        return new StagedUploadStream(url, (content, ct) => UploadAsync(url, content, mode, ct));
    }

    /// <inheritdoc />
    public async Task WriteAllBytesAsync(Url url, ReadOnlyMemory<byte> data, WriteMode mode, CancellationToken cancellationToken)
    {
        var stream = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        await using (stream.ConfigureAwait(false))
        {
            await UploadAsync(url, stream, mode, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Uploads the whole of the seekable <paramref name="content"/> to <paramref name="url"/>.</summary>
    private async Task UploadAsync(Url url, Stream content, WriteMode mode, CancellationToken cancellationToken)
    {
        var (bucket, key) = Object(url);
        var createNew = mode == WriteMode.CreateNew;
        if (createNew && !ConditionalWrites && await HeadAsync(url, bucket, key, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw new UrlAlreadyExistsException(url);
        }
        for (var attempt = 1; ; attempt++)
        {
            content.Position = 0;
            try
            {
                if (content.Length > MultipartThreshold)
                {
                    await UploadPartsAsync(bucket, key, content, createNew && ConditionalWrites, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    var request = new PutObjectRequest
                    {
                        BucketName = bucket,
                        Key = key,
                        InputStream = content,
                        AutoCloseStream = false,
                        // One signed body rather than aws-chunked encoding, which S3-compatible stores do not all read.
                        UseChunkEncoding = false,
                    };
                    if (createNew && ConditionalWrites)
                    {
                        request.IfNoneMatch = "*";
                    }
                    await Client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
                }
                return;
            }
            catch (AmazonS3Exception e) when (createNew && e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new UrlAlreadyExistsException(url, e);
            }
            catch (AmazonS3Exception e) when (createNew && e.StatusCode == HttpStatusCode.Conflict && attempt < ConflictRetries)
            {
                // ConditionalRequestConflict: another conditional write of the key was in flight; S3 asks to retry, and the
                // retry fails with 412 when that write succeeded.
            }
            catch (Exception e) when (Translate(e, url, "write") is { } error)
            {
                throw error;
            }
        }
    }

    private async Task UploadPartsAsync(string bucket, string key, Stream content, bool ifNoneMatch, CancellationToken cancellationToken)
    {
        var upload = await Client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken)
            .ConfigureAwait(false);
        try
        {
            var parts = new List<PartETag>();
            var buffer = new byte[(int)Math.Min(PartSize, content.Length)];
            for (var number = 1; content.Position < content.Length; number++)
            {
                var length = await content.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
                using var part = new MemoryStream(buffer, 0, length, writable: false);
                var response = await Client.UploadPartAsync(new UploadPartRequest
                {
                    BucketName = bucket,
                    Key = key,
                    UploadId = upload.UploadId,
                    PartNumber = number,
                    PartSize = length,
                    InputStream = part,
                    UseChunkEncoding = false,
                }, cancellationToken).ConfigureAwait(false);
                parts.Add(new PartETag(number, response.ETag));
            }
            var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId, PartETags = parts };
            if (ifNoneMatch)
            {
                complete.IfNoneMatch = "*";
            }
            await Client.CompleteMultipartUploadAsync(complete, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await Client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = upload.UploadId },
                    CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AmazonServiceException or AmazonClientException or IOException or HttpRequestException)
            {
                // The upload is abandoned either way; a bucket lifecycle rule removes abandoned parts.
            }
            throw;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<UrlEntry> ListAsync(Url folder, bool recursive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(folder);
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = FolderPrefix(key), Delimiter = recursive ? null : "/", MaxKeys = ListPageSize };
        while (true)
        {
            ListObjectsV2Response response;
            try
            {
                response = await Client.ListObjectsV2Async(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (Translate(e, folder, "list") is { } error)
            {
                throw error;
            }
            foreach (var prefix in response.CommonPrefixes ?? [])
            {
                yield return new UrlEntry(ToUrl(bucket, prefix.TrimEnd('/')), true, 0, null);
            }
            foreach (var item in response.S3Objects ?? [])
            {
                // A key ending in '/' is a folder marker (what consoles create for an empty folder), not a file.
                if (!item.Key.EndsWith('/'))
                {
                    yield return new UrlEntry(ToUrl(bucket, item.Key), false, item.Size ?? 0, item.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : null);
                }
            }
            if (response.IsTruncated != true || string.IsNullOrEmpty(response.NextContinuationToken))
            {
                yield break;
            }
            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    /// <inheritdoc />
    public async Task DeleteAsync(Url url, CancellationToken cancellationToken)
    {
        var (bucket, key) = Parse(url);
        try
        {
            if (key.Length > 0)
            {
                await Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken).ConfigureAwait(false);
            }
            var keys = new List<string>();
            await foreach (var entry in ListAsync(url, recursive: true, cancellationToken).ConfigureAwait(false))
            {
                keys.Add(Parse(entry.Url).Key);
            }
            foreach (var batch in keys.Chunk(MaxPage))
            {
                var response = await Client.DeleteObjectsAsync(new DeleteObjectsRequest
                {
                    BucketName = bucket,
                    Objects = [.. batch.Select(k => new KeyVersion { Key = k })],
                    Quiet = true,
                }, cancellationToken).ConfigureAwait(false);
                if (response.DeleteErrors is { Count: > 0 } errors)
                {
                    var first = errors[0];
                    throw new IOException($"Deleting {url} failed for {errors.Count} of {batch.Length} objects at {Endpoint}, " +
                        $"first {ToUrl(bucket, first.Key)}: {first.Code}: {first.Message}");
                }
            }
        }
        catch (Exception e) when (Translate(e, url, "delete") is { } error)
        {
            throw error;
        }
    }

    /// <summary>Disposes the client when the adapter made it.</summary>
    public void Dispose()
    {
        if (_ownsClient && _client.IsValueCreated)
        {
            _client.Value.Dispose();
        }
    }

    private static string FolderPrefix(string key) => key.Length == 0 ? "" : key.TrimEnd('/') + "/";

    private static string? Setting(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>
    /// The error to throw for a failure of <paramref name="operation"/> on <paramref name="url"/>, naming the URL, the
    /// endpoint and what to check; null for errors that are not the store's (cancellation, Tlc's own).
    /// </summary>
    private Exception? Translate(Exception e, Url url, string operation)
    {
        switch (e)
        {
            case AmazonS3Exception s3 when s3.ErrorCode == "NoSuchBucket":
                return new UrlContainerNotFoundException(url, Parse(url).Bucket,
                    $"The bucket '{Parse(url).Bucket}' of {url} does not exist at {Endpoint}: create it first (Tlc does not create buckets), or check the URL and s3.endpoint.", e);
            case AmazonS3Exception s3 when s3.ErrorCode == "NoSuchKey" || (s3.StatusCode == HttpStatusCode.NotFound && operation == "read"):
                return new UrlNotFoundException(url, e);
            case AmazonS3Exception s3 when s3.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized
                || s3.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" or "ExpiredToken" or "InvalidToken":
                return new UrlAccessDeniedException(url,
                    $"{Endpoint} refused to {operation} {url}: {Describe(s3)}. Check the credentials ({_credentialSource}) and their permissions on the bucket.", e);
            case AmazonS3Exception s3:
                return new IOException($"Could not {operation} {url} at {Endpoint}: {Describe(s3)}.", e);
            case AmazonClientException client when client.InnerException is HttpRequestException or SocketException or IOException:
                return new IOException($"Could not {operation} {url}: the S3 endpoint {Endpoint} is unreachable ({client.GetBaseException().Message}); check s3.endpoint.", e);
            case AmazonClientException client when client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase):
                return new UrlAccessDeniedException(url,
                    $"No credentials to {operation} {url}: set s3.access_key_id and s3.secret_access_key (TLC_S3__ACCESS_KEY_ID, TLC_S3__SECRET_ACCESS_KEY), " +
                    $"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile or role ({client.Message}).", e);
            case AmazonServiceException or AmazonClientException:
                return new IOException($"Could not {operation} {url} at {Endpoint}: {e.Message}", e);
            case HttpRequestException or SocketException:
                return new IOException($"Could not {operation} {url}: the S3 endpoint {Endpoint} is unreachable ({e.GetBaseException().Message}); check s3.endpoint.", e);
            default:
                return null;
        }
    }

    private static string Describe(AmazonS3Exception e) =>
        $"{(int)e.StatusCode} {(string.IsNullOrEmpty(e.ErrorCode) ? e.StatusCode.ToString() : e.ErrorCode)}{(string.IsNullOrEmpty(e.Message) ? "" : $" ({e.Message.TrimEnd('.')})")}";

    /// <summary>A seekable read of one object version: each read past the buffer fetches a byte range (at least <see cref="ReadAheadBytes"/>).</summary>
    private sealed class S3ReadStream(S3UrlAdapter adapter, Url url, string bucket, string key, long length, string etag) : RangedReadStream(length)
    {
        protected override (byte[] Block, long Start, int Length) Fetch(long position, int count, byte[] reuse) =>
            FetchAsync(position, count, reuse, CancellationToken.None).GetAwaiter().GetResult();

        protected override async Task<(byte[] Block, long Start, int Length)> FetchAsync(long position, int count, byte[] reuse, CancellationToken cancellationToken)
        {
            var want = (int)Math.Min(Math.Max(count, adapter.ReadAheadBytes), Length - position);
            var buffer = reuse.Length >= want ? reuse : new byte[want];
            var request = new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(position, position + want - 1), EtagToMatch = etag };
            try
            {
                using var response = await adapter.Client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
                var read = await response.ResponseStream.ReadAtLeastAsync(buffer.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken)
                    .ConfigureAwait(false);
                if (read < want)
                {
                    throw new IOException($"{url} ended at byte {position + read} while {Length} bytes were expected (it was replaced while being read).");
                }
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
            {
                throw new IOException($"{url} was replaced while being read (its ETag is no longer {etag}).", e);
            }
            catch (Exception e) when (adapter.Translate(e, url, "read") is { } error)
            {
                throw error;
            }
            return (buffer, position, want);
        }
    }
}
