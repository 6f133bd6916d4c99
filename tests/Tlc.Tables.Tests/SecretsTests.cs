using System.Text;
using Tlc.Tables.Configuration;
using Tlc.Testing;

namespace Tlc.Tables.Tests;

/// <summary>The secrets rule: <c>…_file</c> keys, both-set errors, and masking (<see cref="TlcSecrets"/>).</summary>
public sealed class SecretsTests : IDisposable
{
    private const string AccountKey = "VExDU0VDUkVUS0VZLWFjY291bnQta2V5LTEyMzQ1Njc4OQ==";
    private readonly TempRoot _dir = new("secrets");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Load_SecretFileKeys_ReadTheFilesWithoutTheTrailingNewline()
    {
        var connection = _dir.File("connection.txt");
        File.WriteAllText(connection, $"DefaultEndpointsProtocol=http;AccountName=a;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:1/a;\n");
        var token = _dir.File("token.txt");
        File.WriteAllText(token, "api-token-123456\n");
        var password = _dir.File("password.txt");
        File.WriteAllText(password, "pfx-password\r\n");

        var options = TlcConfiguration.Load(
        [
            new("azure:connection_string_file", connection),
            new("cluster:connection_string_file", connection),
            new("security:api_token_file", token),
            new("cluster:tls:certificate_password_file", password),
        ], configFile: EmptyConfig());

        Assert.EndsWith("BlobEndpoint=http://127.0.0.1:1/a;", options.Azure.ConnectionString, StringComparison.Ordinal);
        Assert.Equal(options.Azure.ConnectionString, options.Cluster.ConnectionString);
        Assert.Equal("api-token-123456", options.Security.ApiToken);
        Assert.Equal("pfx-password", options.Cluster.Tls.CertificatePassword);
        Assert.Equal(["azure.connection_string", "cluster.connection_string", "cluster.redis_connection_string", "cluster.tls.certificate_password", "s3.secret_access_key", "s3.session_token", "security.api_token"], TlcSecrets.Keys(options).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Load_SecretAndItsFileBothSet_FailsNamingBothKeys()
    {
        var token = _dir.File("token.txt");
        File.WriteAllText(token, "from-file-token");
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load([new("security:api_token", "inline-token"), new("security:api_token_file", token)], configFile: EmptyConfig()));
        Assert.Equal("security.api_token and security.api_token_file are both set; set one of them.", e.Message);
        Assert.DoesNotContain("inline-token", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SecretFileMissing_FailsNamingTheKeyAndFile()
    {
        var missing = Path.Combine(_dir.Path, "nope.txt");
        var e = Assert.Throws<FormatException>(() => TlcConfiguration.Load([new("azure:connection_string_file", missing)], configFile: EmptyConfig()));
        Assert.StartsWith($"azure.connection_string_file: cannot read '{missing}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_ConnectionStringAndItsAccountKey_AreMaskedWhereverTheyAppear()
    {
        var connection = $"DefaultEndpointsProtocol=http;AccountName=a;AccountKey={AccountKey};BlobEndpoint=http://127.0.0.1:1/a;";
        var options = new TlcOptions { Azure = { ConnectionString = connection }, Security = { ApiToken = "api-token-123456" } };
        var secrets = TlcSecrets.Values(options);

        var text = $"failed with {connection} and key {AccountKey} (encoded {Uri.EscapeDataString(AccountKey)}), token api-token-123456";
        var redacted = TlcSecrets.Redact(text, secrets);
        Assert.Equal("failed with *** and key *** (encoded ***), token ***", redacted);
    }

    [Fact]
    public void RedactingTextWriter_SecretWrittenInPiecesWithinALine_IsMasked()
    {
        var inner = new StringWriter();
        var writer = RedactingTextWriter.Wrap(inner, ["api-token-123456"]);
        writer.Write("token api-tok");
        writer.Write("en-123456");
        writer.WriteLine(" end");
        writer.Write('x');
        writer.Flush();
        Assert.Equal($"token *** end{Environment.NewLine}x", inner.ToString());
    }

    private string EmptyConfig()
    {
        var file = _dir.File("empty.yaml");
        File.WriteAllText(file, "tables:\n  compression: none\n", Encoding.UTF8);
        return file;
    }
}
