using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Automations.Features.Secrets;
using Automations.Infrastructure;
using Automations.Infrastructure.Outbound;
using Microsoft.Extensions.Options;

namespace Automations.Features.Webhooks;

/// <summary>What goes on the wire. Secret values stay in here and are redacted from anything stored or shown.</summary>
public sealed record OutboundWebhook(string Url, byte[] Body, string? SigningSecret, string? AccessToken)
{
    /// <summary>Further headers, sent and shown as they are (the Standard Webhooks trio).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders { get; init; } = [];

    /// <summary>
    /// Further secret values the body may carry (secrets referenced by the payload): redacted, with the signing
    /// secret and the access token, from everything the result holds.
    /// </summary>
    public IReadOnlyCollection<string> SecretValues { get; init; } = [];

    public string ContentType { get; init; } = "application/json";

    public SecretRedactor Redactor() => new(SecretValues.Append(SigningSecret).Append(AccessToken));
}

public enum DeliveryErrorKind
{
    None,
    Blocked,
    Dns,
    ConnectionRefused,
    Timeout,
    Network,
}

public sealed record DeliveryResult(
    int? StatusCode,
    string? ReasonPhrase,
    TimeSpan Duration,
    IReadOnlyList<KeyValuePair<string, string>> RequestHeaders,
    IReadOnlyList<KeyValuePair<string, string>> ResponseHeaders,
    string? ResponseBody,
    bool ResponseBodyTruncated,
    DeliveryErrorKind ErrorKind,
    string? Error)
{
    public bool IsSuccess => StatusCode is >= 200 and < 300;
}

/// <summary>
/// Posts a payload the way every delivery does: through the guarded client, signed, bounded. What it returns
/// is safe to store and show: every secret value the request used is redacted from the response's headers and
/// body excerpt (an endpoint may echo its request) as well as from the request.
/// </summary>
public sealed class WebhookSender(IHttpClientFactory httpClientFactory, IOptionsMonitor<OutboundOptions> options, TimeProvider clock)
{
    public const string Redacted = SecretRedactor.Redacted;

    /// <summary>How much of the response body is kept for display and history.</summary>
    public const int BodyExcerptBytes = 4096;

    public async Task<DeliveryResult> SendAsync(OutboundWebhook webhook, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, webhook.Url);
        request.Content = new ByteArrayContent(webhook.Body);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(webhook.ContentType);
        request.Headers.UserAgent.ParseAdd(ProductInfo.UserAgent);
        var shown = new List<KeyValuePair<string, string>>
        {
            new("Content-Type", webhook.ContentType),
            new("User-Agent", ProductInfo.UserAgent),
        };
        if (!string.IsNullOrEmpty(webhook.AccessToken))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", webhook.AccessToken);
            shown.Add(new("Authorization", $"Bearer {Redacted}"));
        }
        if (!string.IsNullOrEmpty(webhook.SigningSecret))
        {
            var signature = WebhookSigner.Sign(webhook.SigningSecret, webhook.Body);
            request.Headers.TryAddWithoutValidation(WebhookSigner.SignatureHeader, signature);
            // The signature reveals nothing about the secret and lets a user compare with the receiver.
            shown.Add(new(WebhookSigner.SignatureHeader, signature));
        }

        foreach (var (name, value) in webhook.ExtraHeaders)
        {
            request.Headers.TryAddWithoutValidation(name, value);
            shown.Add(new(name, value));
        }

        var redactor = webhook.Redactor();
        var client = httpClientFactory.CreateClient(OutboundServiceCollectionExtensions.GuardedClient);
        var started = clock.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var (body, truncated) = await ReadBoundedAsync(response, options.CurrentValue.MaxResponseBytes, redactor, ct);
            var headers = response.Headers.Concat(response.Content.Headers)
                .Select(h => new KeyValuePair<string, string>(h.Key, redactor.Redact(string.Join(", ", h.Value))))
                .ToList();
            return new DeliveryResult((int)response.StatusCode, redactor.RedactOrNull(response.ReasonPhrase), clock.GetElapsedTime(started), redactor.Redact(shown),
                headers, body, truncated, DeliveryErrorKind.None, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or OperationCanceledException or OutboundBlockedException
                                   && !ct.IsCancellationRequested)
        {
            var (kind, message) = Describe(ex);
            return new DeliveryResult(null, null, clock.GetElapsedTime(started), redactor.Redact(shown), [], null, false, kind, redactor.Redact(message));
        }
    }

    /// <summary>
    /// The first <see cref="BodyExcerptBytes"/> of the body, redacted. It reads as many bytes again as the longest
    /// form of a secret can take, so a secret that crosses the cut is whole when it is redacted.
    /// </summary>
    private static async Task<(string Body, bool Truncated)> ReadBoundedAsync(HttpResponseMessage response, int maxBytes, SecretRedactor redactor, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var limit = Math.Min(maxBytes, BodyExcerptBytes);
        var buffer = new byte[limit + 1 + redactor.LongestForm * 4];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), ct);
            if (n == 0)
            {
                break;
            }
            read += n;
        }

        // Stop reading here: a huge or endless body must not hold the worker.
        var truncated = read > limit;
        var text = Encoding.UTF8.GetString(buffer, 0, read);
        return (truncated ? redactor.RedactAndCut(text, limit) : redactor.Redact(text), truncated);
    }

    private static (DeliveryErrorKind, string) Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OutboundBlockedException blocked:
                    return (DeliveryErrorKind.Blocked, $"Blocked by the SSRF rules: {blocked.Message}");
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return (DeliveryErrorKind.ConnectionRefused, "Connection refused by the endpoint.");
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain }:
                    return (DeliveryErrorKind.Dns, "The host name could not be resolved.");
                case TimeoutException or TaskCanceledException:
                    return (DeliveryErrorKind.Timeout, "The endpoint did not answer in time.");
            }
        }

        return (DeliveryErrorKind.Network, $"Network error: {ex.Message}");
    }
}
