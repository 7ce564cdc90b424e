using System.Diagnostics;
using System.Text;
using Automations.Features.Webhooks;

namespace Automations.Tests.Features.Webhooks;

public class WebhookSignerTests
{
    [Fact]
    public void Signature_matches_a_known_hmac_sha256_vector()
    {
        // RFC 4231 test case 2.
        var signature = WebhookSigner.Sign("Jefe", Encoding.UTF8.GetBytes("what do ya want for nothing?"));

        Assert.Equal(Convert.ToBase64String(Convert.FromHexString("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")), signature);
    }

    [Theory]
    [InlineData("s3cr3t", """{"event_type":"LINK_ARTIFACT","n":1}""")]
    [InlineData("with spaces and ünïcode", "{\n  \"text\": \"line\\nbreak \\\"quoted\\\" ✓\"\n}")]
    public async Task Signature_equals_the_openssl_recipe(string secret, string body)
    {
        if (!File.Exists("/usr/bin/openssl"))
        {
            Assert.Skip("openssl is not installed");
        }

        // printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
        var psi = new ProcessStartInfo("/bin/sh", ["-c", "printf %s \"$BODY\" | openssl dgst -sha256 -hmac \"$SECRET\" -binary | base64"])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        psi.Environment["BODY"] = body;
        psi.Environment["SECRET"] = secret;
        using var process = Process.Start(psi)!;
        var expected = (await process.StandardOutput.ReadToEndAsync()).Trim();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(expected, WebhookSigner.Sign(secret, Encoding.UTF8.GetBytes(body)));
    }
}
