using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Tlc.Api;

/// <summary>
/// How every endpoint answers a failure: <c>{"error": "..."}</c> with a status that says whose fault it is — 400 for bad
/// input (naming the field or row), 404 for something that does not exist, 409 for a request that conflicts with the
/// state (a stale attempt, a closed share), 499 when the caller went away.
/// </summary>
internal static class ApiHandling
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
    }

    public static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
