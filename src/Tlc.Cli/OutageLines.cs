using System.Globalization;
using Spectre.Console;

namespace Tlc.Cli;

/// <summary>
/// What a command waiting for a job says of its cluster's outages: one line when it reaches no silo (naming how long it
/// keeps waiting and the setting that says so) and one when a silo answers again — on stderr, or above the progress bar
/// when there is one, whose description then shows the wait (<see cref="Status"/>).
/// </summary>
/// <param name="reconnectTimeout">How long the command keeps waiting (<c>cluster.reconnect_timeout_seconds</c>).</param>
/// <param name="interactive">True when a progress bar is drawn on the console.</param>
internal sealed class OutageLines(TimeSpan reconnectTimeout, bool interactive) : IProgress<ClusterOutage>
{
    /// <summary>Shows the wait in the progress bar (null once a silo answers again). Default: none.</summary>
    public Action<string?>? Status { get; set; }

    /// <summary>The line of an outage (without the <c>tlc: </c> prefix).</summary>
    public string Line(ClusterOutage outage)
    {
        ArgumentNullException.ThrowIfNull(outage);
        return outage.IsOver
            ? $"{outage.Describe()}."
            : string.Create(CultureInfo.InvariantCulture,
                $"{outage.Describe()}; waiting for it to come back, at most {reconnectTimeout.TotalSeconds:0.###} s (cluster.reconnect_timeout_seconds).");
    }

    /// <inheritdoc />
    public void Report(ClusterOutage value)
    {
        var line = $"tlc: {Line(value)}";
        if (interactive)
        {
            CliRunner.Console2.MarkupLine(Markup.Escape(line));
        }
        else
        {
            Console.Error.WriteLine(line);
        }
        Status?.Invoke(value.IsOver ? null : $"waiting: {value.Describe()}");
    }
}
