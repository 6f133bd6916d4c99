using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;

namespace Tlc.Tables.Configuration;

/// <summary>
/// Marks a settings property as a secret. The rule for every secret key <c>K</c>: its value may come from the file named
/// by the sibling key <c>K_file</c> (a property of the same settings class, the file's text without its trailing line
/// break), setting both is an error, and the value is redacted from everything a <c>tlc</c> process writes
/// (<see cref="TlcSecrets"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SecretAttribute : Attribute;

/// <summary>
/// Secrets of the settings (<see cref="SecretAttribute"/>): reading <c>…_file</c> keys, the values to redact and the
/// redaction itself. One home for the rule, whatever section a secret lives in.
/// </summary>
public static class TlcSecrets
{
    /// <summary>The suffix of the key naming a secret's file.</summary>
    public const string FileSuffix = "_file";

    /// <summary>What replaces a secret in output.</summary>
    public const string Mask = "***";

    /// <summary>Connection-string fields whose values are secret wherever they appear (lower case).</summary>
    private static readonly string[] SecretFields = ["accountkey", "sharedaccesssignature", "password", "pwd", "sig", "token", "secret", "key"];

    /// <summary>Values shorter than this are never redacted (they would mask ordinary text).</summary>
    private const int MinimumLength = 6;

    /// <summary>
    /// Reads each secret whose <c>…_file</c> key is set from that file. Errors name both keys.
    /// </summary>
    /// <exception cref="FormatException">A secret and its file are both set, or the file cannot be read or is empty.</exception>
    public static void ReadFiles(TlcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (key, owner, property, file) in Secrets(options, ""))
        {
            if (file?.GetValue(owner) is not string path || string.IsNullOrWhiteSpace(path))
            {
                continue;
            }
            if (property.GetValue(owner) is string { Length: > 0 })
            {
                throw new FormatException($"{key} and {key}{FileSuffix} are both set; set one of them.");
            }
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"{key}{FileSuffix}: cannot read '{path}': {e.Message}", e);
            }
            text = text.TrimEnd('\r', '\n');
            if (text.Length == 0)
            {
                throw new FormatException($"{key}{FileSuffix}: the file '{path}' is empty.");
            }
            property.SetValue(owner, text);
        }
    }

    /// <summary>The configuration keys of the secrets (e.g. <c>azure.connection_string</c>).</summary>
    public static IReadOnlyList<string> Keys(TlcOptions options) => [.. Secrets(options ?? new TlcOptions(), "").Select(s => s.Key)];

    /// <summary>
    /// The strings to redact: every secret's value and, for values made of <c>name=value;</c> fields (connection strings),
    /// the values of their key, signature and password fields, each also URL-encoded.
    /// </summary>
    public static IReadOnlyList<string> Values(TlcOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var values = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, owner, property, _) in Secrets(options, ""))
        {
            if (property.GetValue(owner) is string { Length: > 0 } value)
            {
                Add(values, value);
                foreach (var field in value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    var equals = field.IndexOf('=', StringComparison.Ordinal);
                    if (equals > 0 && SecretFields.Contains(field[..equals].Trim().ToLowerInvariant()))
                    {
                        Add(values, field[(equals + 1)..]);
                    }
                }
            }
        }
        // Longest first, so that a secret containing another is masked whole.
        return [.. values.OrderByDescending(v => v.Length).ThenBy(v => v, StringComparer.Ordinal)];
    }

    /// <summary>Replaces every occurrence of each of <paramref name="secrets"/> in <paramref name="text"/> with <see cref="Mask"/>.</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        if (string.IsNullOrEmpty(text) || secrets.Count == 0)
        {
            return text;
        }
        foreach (var secret in secrets)
        {
            if (text.Contains(secret, StringComparison.Ordinal))
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }
        return text;
    }

    /// <summary>
    /// Makes this process's standard output and error (and every console logger created afterwards) redact the secrets of
    /// <paramref name="options"/>; does nothing when there are none.
    /// </summary>
    public static void RedactConsole(TlcOptions options)
    {
        var secrets = Values(options);
        if (secrets.Count == 0)
        {
            return;
        }
        Console.SetOut(RedactingTextWriter.Wrap(Console.Out, secrets));
        Console.SetError(RedactingTextWriter.Wrap(Console.Error, secrets));
    }

    private static void Add(HashSet<string> values, string value)
    {
        value = value.Trim();
        if (value.Length < MinimumLength)
        {
            return;
        }
        values.Add(value);
        var encoded = Uri.EscapeDataString(value);
        if (encoded != value)
        {
            values.Add(encoded);
        }
    }

    /// <summary>The secret properties of the settings tree: key, owner, property and the property of its <c>_file</c> key.</summary>
    private static IEnumerable<(string Key, object Owner, PropertyInfo Property, PropertyInfo? File)> Secrets(object owner, string prefix)
    {
        var properties = owner.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance);
        foreach (var property in properties)
        {
            if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>() is not { } name)
            {
                continue;
            }
            var key = prefix + name.Name;
            var type = property.PropertyType;
            if (type.IsClass && type != typeof(string) && type.Namespace == typeof(TlcOptions).Namespace && property.GetValue(owner) is { } nested)
            {
                foreach (var secret in Secrets(nested, key + "."))
                {
                    yield return secret;
                }
            }
            else if (property.GetCustomAttribute<SecretAttribute>() is not null)
            {
                var file = properties.FirstOrDefault(p => p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name == name.Name + FileSuffix);
                yield return (key, owner, property, file);
            }
        }
    }
}

/// <summary>
/// A text writer that masks secrets before they reach the writer it wraps. Text is held until a line ends or the writer is
/// flushed, so a secret written in pieces within one line is masked too.
/// </summary>
public sealed class RedactingTextWriter : TextWriter
{
    private readonly TextWriter _inner;
    private readonly IReadOnlyList<string> _secrets;
    private readonly StringBuilder _line = new();
    private readonly Lock _gate = new();

    private RedactingTextWriter(TextWriter inner, IReadOnlyList<string> secrets)
    {
        _inner = inner;
        _secrets = secrets;
    }

    /// <summary>A synchronized redacting writer over <paramref name="inner"/>.</summary>
    public static TextWriter Wrap(TextWriter inner, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(secrets);
        return new RedactingTextWriter(inner, secrets);
    }

    /// <inheritdoc />
    public override Encoding Encoding => _inner.Encoding;

    /// <inheritdoc />
    public override void Write(char value)
    {
        lock (_gate)
        {
            _line.Append(value);
            if (value == '\n')
            {
                FlushLine();
            }
        }
    }

    /// <inheritdoc />
    public override void Write(string? value)
    {
        if (value is null)
        {
            return;
        }
        lock (_gate)
        {
            _line.Append(value);
            if (value.Contains('\n', StringComparison.Ordinal))
            {
                FlushLine();
            }
        }
    }

    /// <inheritdoc />
    public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<char> buffer) => Write(new string(buffer));

    /// <inheritdoc />
    public override void WriteLine(string? value) => Write((value ?? "") + NewLine);

    /// <inheritdoc />
    public override Task WriteAsync(char value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteAsync(string? value)
    {
        Write(value);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteLineAsync(string? value)
    {
        WriteLine(value);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task WriteLineAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
    {
        WriteLine(new string(buffer.Span));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override void Flush()
    {
        lock (_gate)
        {
            FlushLine();
            _inner.Flush();
        }
    }

    /// <inheritdoc />
    public override Task FlushAsync()
    {
        Flush();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        Flush();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Flush();
        }
        base.Dispose(disposing);
    }

    private void FlushLine()
    {
        if (_line.Length == 0)
        {
            return;
        }
        _inner.Write(TlcSecrets.Redact(_line.ToString(), _secrets));
        _line.Clear();
        _inner.Flush();
    }
}
