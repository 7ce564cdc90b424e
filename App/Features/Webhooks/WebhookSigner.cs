using System.Security.Cryptography;
using System.Text;

namespace Automations.Features.Webhooks;

public static class WebhookSigner
{
    public const string SignatureHeader = "X-Wandb-Signature";

    /// <summary>
    /// base64(HMAC-SHA256(secret, body)): what
    /// <c>printf %s "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64</c> prints.
    /// </summary>
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));
}
