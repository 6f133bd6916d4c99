using System.Net.Sockets;
using Azure.Storage.Blobs;
using Tlc.Tables.Urls;

namespace Tlc.Testing;

/// <summary>
/// The Azurite blob emulator the Azure tests run against. <c>./test.sh</c> starts it on 127.0.0.1:10000 and sets
/// <c>TLC_TEST_AZURITE=UseDevelopmentStorage=true</c>. When the variable is unset or the emulator does not answer, using
/// <see cref="ConnectionString"/> fails the test with instructions (these tests never skip).
/// </summary>
public static class Azurite
{
    /// <summary>The environment variable holding the connection string.</summary>
    public const string Variable = "TLC_TEST_AZURITE";

    private static readonly Lazy<string> Checked = new(Check);

    /// <summary>The connection string of a reachable Azurite (or Azure Storage account).</summary>
    public static string ConnectionString => Checked.Value;

    /// <summary>A fresh container name (lower case, unique per call) so tests never share state.</summary>
    public static string NewContainerName(string prefix = "tlc") => $"{prefix.ToLowerInvariant()}-{Guid.NewGuid():N}";

    /// <summary>A registry with the built-in adapters plus an Azure Blob adapter over <see cref="ConnectionString"/>.</summary>
    public static UrlAdapterRegistry NewRegistry()
    {
        var registry = new UrlAdapterRegistry(new UrlAliases(environment: _ => null));
        registry.Register(new AzureBlobUrlAdapter(ConnectionString));
        return registry;
    }

    /// <summary>Deletes a container and everything in it (best effort, for test clean-up).</summary>
    public static async Task DeleteContainerAsync(string container)
    {
        try
        {
            await new BlobServiceClient(ConnectionString).GetBlobContainerClient(container).DeleteIfExistsAsync();
        }
        catch (Azure.RequestFailedException)
        {
            // Clean-up only.
        }
    }

    private static string Check()
    {
        var connection = Environment.GetEnvironmentVariable(Variable);
        const string Start = "Start Azurite (\"$TLC_TEST_FIXTURES/npm/node_modules/.bin/azurite --silent --skipApiVersionCheck --loose " +
            "--location $(mktemp -d) --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 &\") and set " +
            Variable + "=UseDevelopmentStorage=true; ./test.sh does both.";
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new InvalidOperationException($"{Variable} is not set, so the Azure Blob tests cannot run. {Start}");
        }
        var endpoint = new BlobServiceClient(connection).Uri;
        try
        {
            using var client = new TcpClient();
            if (!client.ConnectAsync(endpoint.Host, endpoint.Port).Wait(TimeSpan.FromSeconds(5)))
            {
                throw new TimeoutException($"no answer within 5 s");
            }
        }
        catch (Exception e) when (e is SocketException or TimeoutException or AggregateException)
        {
            throw new InvalidOperationException(
                $"Azurite is unreachable at {endpoint.Host}:{endpoint.Port} (from {Variable}): {e.GetBaseException().Message}. {Start}", e);
        }
        return connection;
    }
}
