using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using StackExchange.Redis;
using Tlc.Grains;
using Tlc.Tables.Configuration;

namespace Tlc.Silo.Hosting;

/// <summary>
/// The Redis server of a <c>cluster.mode: redis</c> cluster: Orleans' Redis clustering (membership and the gateway list),
/// Redis grain storage under Tlc's storage name (with Tlc's grain state serializer, the keyed
/// <see cref="Orleans.Storage.IGrainStorageSerializer"/> that Orleans' Redis provider picks up by the storage name) and
/// Redis reminders. Orleans keys everything by the service id: <c>{service_id}/members/{cluster_id}</c> (a hash of the
/// silos), <c>{service_id}/state/{grain id}/{grain type}</c> (one hash per grain: etag and data) and
/// <c>{service_id}/reminders</c>, so services sharing a Redis server never see each other's state.
/// </summary>
public static class RedisCluster
{
    /// <summary>The setting holding the Redis configuration string.</summary>
    public const string Setting = ClusterSettings.RedisConnectionStringSetting;

    /// <summary>How long the check at start waits for the Redis server. Default: 5 s.</summary>
    public static TimeSpan ConnectTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Parses a StackExchange.Redis configuration string (a fresh instance per call: every provider owns its connection).
    /// </summary>
    /// <exception cref="FormatException">The string does not parse; the message names <see cref="Setting"/>, never the password.</exception>
    public static ConfigurationOptions Options(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException(ClusterSettings.RedisConnectionStringMissing);
        }
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(connectionString);
        }
        catch (ArgumentException e)
        {
            // The parser's message names the offending option, not its value.
            throw new FormatException($"{Setting} is not a Redis configuration string: {e.Message}", e);
        }
        if (options.EndPoints.Count == 0)
        {
            throw new FormatException($"{Setting} names no Redis endpoint (write host:port, e.g. '127.0.0.1:6379').");
        }
        return options;
    }

    /// <summary>The endpoints of a configuration string, for messages (no password).</summary>
    public static string Endpoints(ConfigurationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.Join(", ", options.EndPoints.Select(e => e switch
        {
            System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
            _ => e.ToString(),
        }));
    }

    /// <summary>
    /// Connects to the Redis server of <paramref name="connectionString"/> and pings it, so that a silo, worker or client
    /// fails at start with a message naming the endpoint rather than deep inside Orleans.
    /// </summary>
    /// <exception cref="FormatException">The string does not parse.</exception>
    /// <exception cref="RedisUnreachableException">No answer, or the server refused the credentials.</exception>
    public static async Task EnsureReachableAsync(string? connectionString, CancellationToken cancellationToken = default)
    {
        var options = Options(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectRetry = 1;
        options.ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds;
        var endpoints = Endpoints(options);
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken).ConfigureAwait(false);
            await connection.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            // The multiplexer's own message is long and may name configuration; the failure type and socket error suffice.
            var reason = e.FailureType switch
            {
                ConnectionFailureType.AuthenticationFailure => "authentication failed (check the password in the setting)",
                ConnectionFailureType.UnableToConnect => $"no answer within {ConnectTimeout.TotalSeconds:0} s (is redis-server running there, and its port open?)",
                _ => $"{e.FailureType}",
            };
            throw new RedisUnreachableException(endpoints, reason, e);
        }
        catch (RedisServerException e) when (e.Message.Contains("NOAUTH", StringComparison.Ordinal) || e.Message.Contains("WRONGPASS", StringComparison.Ordinal))
        {
            throw new RedisUnreachableException(endpoints, "authentication failed (check the password in the setting)", e);
        }
        catch (RedisTimeoutException e)
        {
            throw new RedisUnreachableException(endpoints, $"no answer within {ConnectTimeout.TotalSeconds:0} s", e);
        }
    }

    /// <summary>Redis clustering, Tlc's grain storage and reminders for a silo of a redis-mode cluster.</summary>
    /// <param name="builder">The silo builder.</param>
    /// <param name="connectionString">The Redis configuration string (<see cref="Setting"/>).</param>
    public static ISiloBuilder UseRedisCluster(this ISiloBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = Options(connectionString);
        builder.UseRedisClustering(o => o.ConfigurationOptions = Options(connectionString));
        // The storage's serializer is left unset: Orleans' Redis provider then takes the IGrainStorageSerializer keyed by the
        // storage name, which AddTlcGrainServices registers (TlcGrainStorageSerializer).
        builder.AddRedisGrainStorage(TlcGrainNames.Storage, (Action<Orleans.Persistence.RedisStorageOptions>)(o => o.ConfigurationOptions = Options(connectionString)));
        builder.UseRedisReminderService(o => o.ConfigurationOptions = Options(connectionString));
        return builder;
    }

    /// <summary>The gateway list of a redis-mode cluster for a client or worker: the silos in the Redis membership hash.</summary>
    /// <param name="builder">The client builder.</param>
    /// <param name="connectionString">The Redis configuration string (<see cref="Setting"/>).</param>
    public static IClientBuilder UseRedisCluster(this IClientBuilder builder, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        _ = Options(connectionString);
        return builder.UseRedisClustering(o => o.ConfigurationOptions = Options(connectionString));
    }
}

/// <summary>The Redis server of a redis-mode cluster does not answer (or refuses the credentials).</summary>
/// <param name="endpoints">The endpoints tried (never the password).</param>
/// <param name="reason">Why, in a few words.</param>
/// <param name="inner">The client's exception.</param>
public sealed class RedisUnreachableException(string endpoints, string reason, Exception? inner = null)
    : InvalidOperationException($"The Redis server of the cluster is unreachable at {endpoints} ({RedisCluster.Setting}): {reason}.", inner)
{
    /// <summary>The endpoints tried.</summary>
    public string Endpoints { get; } = endpoints;
}
