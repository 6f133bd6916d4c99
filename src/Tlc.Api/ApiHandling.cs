using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tlc.Cluster;

namespace Tlc.Api;

/// <summary>
/// How every endpoint answers a failure: <c>{"error": "..."}</c> with a status that says whose fault it is — 400 for bad
/// input (naming the field or row), 404 for something that does not exist, 409 for a request that conflicts with the
/// state (a stale attempt, a closed share), 499 when the caller went away, 503 while the cluster does not answer (a
/// silo died and its grains move: the request may be sent again), 500 with the error's message for anything else (and
/// logged).
/// </summary>
internal static partial class ApiHandling
{
    public static async Task<IResult> Handle(HttpContext http, Func<Task<IResult>> handler)
    {
        try
        {
            return await handler();
        }
        catch (ApiException e)
        {
            return Error(e.Status, e.Message);
        }
        catch (KeyNotFoundException e)
        {
            return Error(404, e.Message);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException)
        {
            return Error(400, e.Message);
        }
        catch (InvalidOperationException e)
        {
            // A stale attempt, a closed or failed share, ranks that disagree: the request conflicts with the table's state.
            return Error(409, e.Message);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            return Error(499, "The request was cancelled.");
        }
        catch (Exception e) when (e is ClusterUnavailableException || TransientClusterErrors.IsTransient(e))
        {
            http.Response.Headers.RetryAfter = "1";
            return Error(503, $"The cluster did not answer ({e.Message}); send the request again.");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFailed(Logger(http), e, http.Request.Method, http.Request.Path);
            return Error(500, $"{http.Request.Method} {http.Request.Path} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static ILogger Logger(HttpContext http) =>
        http.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("Tlc.Api") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path);

    public static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
