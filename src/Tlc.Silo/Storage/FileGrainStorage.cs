using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;
using Orleans.Runtime;
using Orleans.Storage;

namespace Tlc.Silo.Storage;

/// <summary>
/// Grain state on local disk as an append-only log: every write appends one record (key, version, serialised state,
/// CRC) and an in-memory index points at each key's latest record. Appends need no file creation or rename, which on
/// common file systems is what makes per-grain files slow (measured here: ~1k file creations/s against ~400k appends/s).
/// A record is flushed to the operating system before the write completes, so state survives a killed process; a torn
/// record at the end (a crash mid-append) fails its CRC and is ignored when the log is read back. A write whose ETag is
/// not the stored version fails with <see cref="InconsistentStateException"/>, so a stale activation never overwrites a
/// newer state. When most of the log is superseded records, it is compacted into a new file. One silo per folder (the
/// embedded silo's root lock guarantees it).
/// </summary>
public sealed class FileGrainStorage : IGrainStorage, IDisposable
{
    private const uint Magic = 0x544C4347; // "GCLT"
    private const int HeaderSize = 4 + 4 + 8 + 4 + 4; // magic, crc, version, key length, payload length (-1: cleared)

    private readonly FileGrainStorageOptions _options;
    private readonly Dictionary<string, Entry> _index = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private FileStream _log;
    private long _liveBytes;
    private long _end;
    private long _writes;
    private long _bytesWritten;
    private readonly Dictionary<string, long> _largest = new(StringComparer.Ordinal);

    private readonly record struct Entry(long Version, long Offset, int KeyLength, int PayloadLength);

    /// <summary>Opens (or creates) the log under <see cref="FileGrainStorageOptions.RootDirectory"/>.</summary>
    public FileGrainStorage(string name, FileGrainStorageOptions options)
    {
        Name = name;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        Directory.CreateDirectory(options.RootDirectory);
        _log = Open(LogPath);
        Load();
    }

    /// <summary>The provider name.</summary>
    public string Name { get; }

    /// <summary>
    /// What was written since the storage opened: records, bytes, and the largest record of each state name (e.g.
    /// <c>segment</c>, <c>job</c>) — the figures the benchmarks report as the largest grain state.
    /// </summary>
    public FileGrainStorageStatistics Statistics
    {
        get
        {
            _gate.Wait();
            try
            {
                return new FileGrainStorageStatistics(_writes, _bytesWritten, new Dictionary<string, long>(_largest, StringComparer.Ordinal));
            }
            finally
            {
                _gate.Release();
            }
        }
    }

    /// <summary>The log file.</summary>
    public string LogPath => Path.Combine(_options.RootDirectory, $"{Safe(Name)}.state.log");

    /// <inheritdoc />
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        byte[]? payload = null;
        var length = 0;
        long version = 0;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_index.TryGetValue(key, out var entry) && entry.PayloadLength >= 0)
            {
                length = entry.PayloadLength;
                payload = ArrayPool<byte>.Shared.Rent(length);
                RandomAccess.Read(_log.SafeFileHandle, payload.AsSpan(0, length), entry.Offset + HeaderSize + entry.KeyLength);
                version = entry.Version;
            }
        }
        finally
        {
            _gate.Release();
        }
        if (payload is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }
        try
        {
            grainState.State = (_options.GrainStorageSerializer is TlcGrainStorageSerializer tlc
                ? tlc.Deserialize<T>(payload.AsMemory(0, length))
                : _options.GrainStorageSerializer.Deserialize<T>(new BinaryData(payload.AsMemory(0, length).ToArray())))!;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
        }
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    /// <inheritdoc />
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        // The record is built in one pooled buffer: header space, the key, then the state serialised in place.
        using var record = new PooledBufferWriter(HeaderSize + key.Length * 3 + 256);
        record.Advance(HeaderSize);
        var keyLength = Encoding.UTF8.GetBytes(key, record.GetSpan(Encoding.UTF8.GetMaxByteCount(key.Length)));
        record.Advance(keyLength);
        if (_options.GrainStorageSerializer is TlcGrainStorageSerializer tlc)
        {
            tlc.Serialize(grainState.State, record);
        }
        else
        {
            var bytes = _options.GrainStorageSerializer.Serialize(grainState.State).ToMemory().Span;
            bytes.CopyTo(record.GetSpan(bytes.Length));
            record.Advance(bytes.Length);
        }
        var payloadLength = record.WrittenCount - HeaderSize - keyLength;
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var stored = _index.TryGetValue(key, out var entry) && entry.PayloadLength >= 0 ? entry.Version : (long?)null;
            CheckETag(stateName, grainId, grainState.ETag, stored);
            var version = (_index.TryGetValue(key, out var any) ? any.Version : 0) + 1;
            Append(key, version, record.WrittenSpan, keyLength, cleared: false);
            _writes++;
            _bytesWritten += payloadLength;
            _largest[stateName] = Math.Max(_largest.GetValueOrDefault(stateName), payloadLength);
            grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
            CompactIfWorthIt();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_index.TryGetValue(key, out var entry) && entry.PayloadLength >= 0)
            {
                CheckETag(stateName, grainId, grainState.ETag, entry.Version);
                var keyBytes = Encoding.UTF8.GetBytes(key);
                var record = new byte[HeaderSize + keyBytes.Length];
                keyBytes.CopyTo(record, HeaderSize);
                Append(key, entry.Version + 1, record, keyBytes.Length, cleared: true);
            }
            grainState.ETag = null;
            grainState.RecordExists = false;
            grainState.State = Activator.CreateInstance<T>();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Closes the log.</summary>
    public void Dispose()
    {
        _log.Dispose();
        _gate.Dispose();
    }

    private static void CheckETag(string stateName, GrainId grainId, string? etag, long? stored)
    {
        if (etag != stored?.ToString(CultureInfo.InvariantCulture))
        {
            throw new InconsistentStateException(
                $"State {stateName} of {grainId} was changed by someone else (ETag {etag ?? "none"}, stored {stored?.ToString(CultureInfo.InvariantCulture) ?? "none"}).");
        }
    }

    /// <summary>
    /// Appends <paramref name="record"/>: its first <see cref="HeaderSize"/> bytes are filled in here (magic, CRC, version,
    /// lengths), then the key's <paramref name="keyLength"/> bytes and the payload follow as given.
    /// </summary>
    private void Append(string key, long version, Span<byte> record, int keyLength, bool cleared)
    {
        var payloadLength = record.Length - HeaderSize - keyLength;
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(record[8..], version);
        BinaryPrimitives.WriteInt32LittleEndian(record[16..], keyLength);
        BinaryPrimitives.WriteInt32LittleEndian(record[20..], cleared ? -1 : payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32.HashToUInt32(record[8..]));
        // One positioned write at the end the log is known to have (no seek, no size query): handed to the operating
        // system before this returns, so the record survives a killed process.
        var offset = _end;
        RandomAccess.Write(_log.SafeFileHandle, record, offset);
        _end = offset + record.Length;
        if (_index.TryGetValue(key, out var previous) && previous.PayloadLength >= 0)
        {
            _liveBytes -= HeaderSize + previous.KeyLength + previous.PayloadLength;
        }
        _index[key] = new Entry(version, offset, keyLength, cleared ? -1 : payloadLength);
        if (!cleared)
        {
            _liveBytes += record.Length;
        }
    }

    /// <summary>Reads the log into the index; a torn or corrupt tail is cut off.</summary>
    private void Load()
    {
        var length = _log.Length;
        var header = new byte[HeaderSize];
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 16);
        long offset = 0;
        while (offset + HeaderSize <= length)
        {
            RandomAccess.Read(_log.SafeFileHandle, header, offset);
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
            var payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(20));
            var size = (long)HeaderSize + keyLength + Math.Max(0, payloadLength);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic || keyLength < 0 || payloadLength < -1 || offset + size > length)
            {
                break;
            }
            if (size > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent((int)size);
            }
            var record = buffer.AsSpan(0, (int)size);
            RandomAccess.Read(_log.SafeFileHandle, record, offset);
            if (Crc32.HashToUInt32(record[8..]) != BinaryPrimitives.ReadUInt32LittleEndian(record[4..]))
            {
                break;
            }
            var key = Encoding.UTF8.GetString(record.Slice(HeaderSize, keyLength));
            var version = BinaryPrimitives.ReadInt64LittleEndian(record[8..]);
            if (_index.TryGetValue(key, out var previous) && previous.PayloadLength >= 0)
            {
                _liveBytes -= HeaderSize + previous.KeyLength + previous.PayloadLength;
            }
            _index[key] = new Entry(version, offset, keyLength, payloadLength);
            if (payloadLength >= 0)
            {
                _liveBytes += size;
            }
            offset += size;
        }
        ArrayPool<byte>.Shared.Return(buffer);
        if (offset < length)
        {
            // A crash left a partial record: drop it so appends continue from a clean end.
            _log.SetLength(offset);
        }
        _end = offset;
    }

    /// <summary>Rewrites the log with only the latest records when it is large and mostly superseded.</summary>
    private void CompactIfWorthIt()
    {
        if (_end < _options.CompactAboveBytes || _liveBytes * 2 > _end)
        {
            return;
        }
        var temp = LogPath + ".compact";
        var fresh = new Dictionary<string, Entry>(StringComparer.Ordinal);
        using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            foreach (var (key, entry) in _index)
            {
                if (entry.PayloadLength < 0)
                {
                    continue;
                }
                var record = new byte[HeaderSize + entry.KeyLength + entry.PayloadLength];
                RandomAccess.Read(_log.SafeFileHandle, record, entry.Offset);
                fresh[key] = entry with { Offset = target.Position };
                target.Write(record);
            }
            target.Flush(flushToDisk: true);
        }
        _log.Dispose();
        File.Move(temp, LogPath, overwrite: true);
        _log = Open(LogPath);
        _index.Clear();
        foreach (var (key, entry) in fresh)
        {
            _index[key] = entry;
        }
        _liveBytes = _log.Length;
        _end = _log.Length;
    }

    private static FileStream Open(string path) =>
        new(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1, FileOptions.RandomAccess);

    private static string Key(string stateName, GrainId grainId) => $"{stateName}|{grainId}";

    private static string Safe(string text) => string.Concat(text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}

/// <summary>What a <see cref="FileGrainStorage"/> wrote.</summary>
/// <param name="Writes">Records written.</param>
/// <param name="BytesWritten">Their serialised bytes.</param>
/// <param name="LargestByState">The largest record of each state name, in bytes.</param>
public sealed record FileGrainStorageStatistics(long Writes, long BytesWritten, IReadOnlyDictionary<string, long> LargestByState);
