namespace Tlc.Api;

/// <summary>A refused request: its HTTP status and a message naming the field and row.</summary>
internal sealed class ApiException(int status, string message) : Exception(message)
{
    /// <summary>The HTTP status (400, 401, 404, 409).</summary>
    public int Status { get; } = status;
}
