namespace Tlc.Metrics;

/// <summary>
/// A model or collector spec that cannot be turned into a predictor or collector: unknown name or kind, bad arguments,
/// a weights file that is missing or does not fit the model. The message names the spec (and the file).
/// </summary>
public sealed class MetricsSpecException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public MetricsSpecException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MetricsSpecException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public MetricsSpecException(string message)
        : base(message)
    {
    }
}
