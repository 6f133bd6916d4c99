using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tlc.Api.Hosting;

/// <summary>
/// The training API served by this process (ASP.NET Core, Kestrel) over a cluster connection: trainers in any language
/// open their rank's share of a metrics table, append rows, close it and log aggregates, through the SDK. Bound to
/// loopback by default; bound to any other address it requires a bearer token on every request.
/// </summary>
public sealed class TrainingApiHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly RankSessions _sessions;

    private TrainingApiHost(WebApplication app, RankSessions sessions, string url, string? token)
    {
        _app = app;
        _sessions = sessions;
        Url = url;
        Token = token;
    }

    /// <summary>The API's base address (e.g. <c>http://127.0.0.1:8765</c>).</summary>
    public string Url { get; }

    /// <summary>The bearer token requests must carry, or null (loopback without one).</summary>
    public string? Token { get; }

    /// <summary>Starts serving <paramref name="context"/>'s cluster.</summary>
    /// <exception cref="ArgumentException">The host is not an IP address.</exception>
    public static async Task<TrainingApiHost> StartAsync(ClusterContext context, TrainingApiOptions options, ILoggerProvider? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Host, out var address))
        {
            throw new ArgumentException($"api host must be an IP address, got '{options.Host}'.", nameof(options));
        }
        CheckToken(options);
        var token = string.IsNullOrEmpty(options.Token) ? null : options.Token;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (logging is not null)
        {
            builder.Logging.AddProvider(logging);
        }
        else
        {
            // Requests that failed unexpectedly (500) and the server's own warnings, on standard error.
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBytes;
            kestrel.Listen(address, options.Port);
        });
        var app = builder.Build();
        if (token is not null)
        {
            var expected = Encoding.UTF8.GetBytes($"Bearer {token}");
            var expectedToken = Encoding.UTF8.GetBytes(token);
            app.Use(async (http, next) =>
            {
                var given = Encoding.UTF8.GetBytes(http.Request.Headers.Authorization.ToString());
                // A browser cannot send a header on page loads: the dashboard's URL carries the token once
                // (?token=…), which becomes an HTTP-only, same-site cookie; later requests present the cookie.
                var cookie = Encoding.UTF8.GetBytes(http.Request.Cookies[DashboardAssets.TokenCookie] ?? "");
                var query = Encoding.UTF8.GetBytes(http.Request.Query["token"].ToString());
                if (CryptographicOperations.FixedTimeEquals(query, expectedToken) && HttpMethods.IsGet(http.Request.Method))
                {
                    http.Response.Cookies.Append(DashboardAssets.TokenCookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });
                    http.Response.Redirect(http.Request.Path);
                    return;
                }
                if (!CryptographicOperations.FixedTimeEquals(given, expected) && !CryptographicOperations.FixedTimeEquals(cookie, expectedToken))
                {
                    http.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    await http.Response.WriteAsJsonAsync(new { error = "This API needs 'Authorization: Bearer <token>' (the token tlc api was started with: security.api_token, TLC_API_TOKEN or --token-file)." });
                    return;
                }
                await next(http);
            });
        }
        var sessions = new RankSessions(context);
        TrainingApi.Map(app, sessions);
        DashboardApi.Map(app, sessions, context, new ThumbnailCache(256L << 20));
        JobsApi.Map(app, context);
        DashboardAssets.Map(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? $"http://{options.Host}:{options.Port}";
        return new TrainingApiHost(app, sessions, bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal), token);
    }

    /// <summary>Refuses to serve an address other than loopback without a token.</summary>
    /// <exception cref="ArgumentException">The host is not an IP address.</exception>
    /// <exception cref="InvalidOperationException">The address is not loopback and <see cref="TrainingApiOptions.Token"/> is not set.</exception>
    public static void CheckToken(TrainingApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!IPAddress.TryParse(options.Host, out var address))
        {
            throw new ArgumentException($"api host must be an IP address, got '{options.Host}'.", nameof(options));
        }
        if (!IPAddress.IsLoopback(address) && string.IsNullOrEmpty(options.Token))
        {
            throw new InvalidOperationException(
                $"Refusing to serve {options.Host} without a token: an address other than loopback needs one (security.api_token or TLC_API_TOKEN, " +
                "security.api_token_file or --token-file FILE). Every request must then carry 'Authorization: Bearer <token>'.");
        }
    }

    /// <summary>Stops serving (open shares stay open: their ranks open them again).</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        await _sessions.DisposeAsync().ConfigureAwait(false);
    }
}
