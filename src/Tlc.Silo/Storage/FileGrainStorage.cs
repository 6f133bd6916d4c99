using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Orleans.Runtime;
using Orleans.Storage;

namespace Tlc.Silo.Storage;

/// <summary>
/// Grain state in local files: one file per grain and state name, holding an 8-byte version (the ETag) and the
/// serialised state. Writes go to a temporary file and replace the old one atomically; a write whose ETag is not the
/// stored version fails with <see cref="InconsistentStateException"/>, so a stale activation can never overwrite a newer
/// state. Durable across process restarts. One silo per folder (the embedded silo's root lock guarantees it).
/// </summary>
public sealed class FileGrainStorage(string name, FileGrainStorageOptions options) : IGrainStorage
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    /// <summary>The provider name.</summary>
    public string Name { get; } = name;

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!File.Exists(path))
            {
                grainState.State = Activator.CreateInstance<T>();
                grainState.ETag = null;
                grainState.RecordExists = false;
                return;
            }
            var bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
            if (bytes.Length < 8)
            {
                throw new InvalidDataException($"Grain state file {path} is truncated.");
            }
            grainState.State = options.GrainStorageSerializer.Deserialize<T>(new BinaryData(bytes.AsMemory(8)))!;
            grainState.ETag = BinaryPrimitives.ReadInt64LittleEndian(bytes).ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var stored = StoredVersion(path);
            if (grainState.ETag != stored?.ToString(CultureInfo.InvariantCulture))
            {
                throw new InconsistentStateException(
                    $"State {stateName} of {grainId} was changed by someone else (ETag {grainState.ETag ?? "none"}, stored {stored?.ToString(CultureInfo.InvariantCulture) ?? "none"}).");
            }
            var version = (stored ?? 0) + 1;
            var payload = options.GrainStorageSerializer.Serialize(grainState.State);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}.tmp";
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                var header = new byte[8];
                BinaryPrimitives.WriteInt64LittleEndian(header, version);
                await file.WriteAsync(header).ConfigureAwait(false);
                await file.WriteAsync(payload.ToMemory()).ConfigureAwait(false);
            }
            File.Move(temp, path, overwrite: true);
            grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathOf(stateName, grainId);
        var gate = Gate(path);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var stored = StoredVersion(path);
            if (stored is not null && grainState.ETag != stored.Value.ToString(CultureInfo.InvariantCulture))
            {
                throw new InconsistentStateException($"State {stateName} of {grainId} was changed by someone else; not cleared.");
            }
            File.Delete(path);
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = Activator.CreateInstance<T>();
        }
        finally
        {
            gate.Release();
        }
    }

    private static long? StoredVersion(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[8];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadInt64LittleEndian(header);
    }

    private SemaphoreSlim Gate(string path) => _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));

    private string PathOf(string stateName, GrainId grainId)
    {
        var type = Safe(grainId.Type.ToString()!);
        var key = grainId.Key.ToString()!;
        var safeKey = Safe(key);
        if (safeKey.Length > 120)
        {
            // Long keys (URLs): a readable prefix and a hash.
            safeKey = $"{safeKey[..80]}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..32]}";
        }
        return Path.Combine(options.RootDirectory, Safe(stateName), type, safeKey + ".state");
    }

    private static string Safe(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                builder.Append(c);
            }
            else
            {
                // Escaped, so that distinct keys never share a file.
                builder.Append('~').Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }
}
