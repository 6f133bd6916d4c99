using System.Globalization;
using System.Runtime.InteropServices;
using Tlc.Tables.Configuration;
using Tlc.Workers;

// The worker process: `dotnet Tlc.Workers.dll [--root R] [--config F] [--plugins DIR]... [--threads N] [--device D] [--id ID]
// [--decode-threads N] [--concurrency N] [--poll-interval SECONDS] [--drain-timeout SECONDS] [--health-port N]`; `tlc worker` runs the same (WorkerProcess.RunAsync).
Tlc.Metrics.TorchRuntime.PreferPassiveWaiting(); // before libtorch loads
Tlc.Metrics.TorchRuntime.KeepTensorMemory();
var overrides = new List<KeyValuePair<string, string?>>();
string? configFile = null;
var plugins = new List<string>();
int? threads = null;
int? decodeThreads = null;
var drain = TimeSpan.FromMinutes(5);
var device = "auto";
string? id = null;
var concurrency = WorkerOptions.DefaultConcurrentShards;
var poll = TimeSpan.FromSeconds(1);
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{args[i]} needs a value.");
        int Number() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
        switch (args[i])
        {
            case "--root": overrides.Add(new("root", Value())); break;
            case "--config": configFile = Value(); break;
            case "--health-port": overrides.Add(new("health:port", Value())); break;
            case "--plugins": plugins.Add(Value()); break;
            case "--threads": threads = Number(); break;
            case "--decode-threads": decodeThreads = Number(); break;
            case "--drain-timeout": drain = TimeSpan.FromSeconds(double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture)); break;
            case "--device": device = Value(); break;
            case "--id": id = Value(); break;
            case "--concurrency": concurrency = Number(); break;
            case "--poll-interval": poll = TimeSpan.FromSeconds(double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture)); break;
            default: throw new FormatException($"Unknown option '{args[i]}'.");
        }
    }
}
catch (Exception e) when (e is FormatException or OverflowException)
{
    await Console.Error.WriteLineAsync($"tlc worker: {e.Message} Options: --root, --config, --plugins DIR (repeatable), --threads N, --decode-threads N, --device cpu|cuda|auto, --id ID, --concurrency N, --poll-interval SECONDS, --drain-timeout SECONDS, --health-port N.");
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !cancel.IsCancellationRequested;
    Stop(cancel);
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = !cancel.IsCancellationRequested;
    Stop(cancel);
});
try
{
    var settings = TlcConfiguration.Load(overrides, configFile);
    TlcSecrets.RedactConsole(settings);
    return await WorkerProcess.RunAsync(settings, new WorkerProcessOptions
    {
        PluginFolders = plugins, TorchThreads = threads, DecodeThreads = decodeThreads, DrainTimeout = drain, Device = device, WorkerId = id, ConcurrentShards = concurrency, PollInterval = poll,
    }, Console.Out, cancel.Token);
}
catch (Exception e) when (e is not OutOfMemoryException)
{
    await Console.Error.WriteLineAsync($"tlc worker: {e.Message.ReplaceLineEndings(" ")}");
    return 1;
}

// A signal that arrives while the process ends finds nothing to stop.
static void Stop(CancellationTokenSource cancel)
{
    try
    {
        cancel.Cancel();
    }
    catch (ObjectDisposedException)
    {
    }
}
