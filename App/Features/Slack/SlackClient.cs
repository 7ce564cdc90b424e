using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Features.Dispatch;
using Automations.Features.Webhooks;
using Microsoft.Extensions.Options;

namespace Automations.Features.Slack;

/// <summary>Configuration section "Slack".</summary>
public sealed class SlackOptions
{
    public const string Section = "Slack";

    /// <summary>Where <c>chat.postMessage</c> lives; tests point it at a fake Slack on 127.0.0.1.</summary>
    public string ApiBaseUrl { get; set; } = "https://slack.com/api/";
}

/// <summary>A rendered message: a header line and a mrkdwn body.</summary>
public sealed record SlackMessage(string Title, string Text);

/// <summary>
/// What one post came to. Retryable: Slack's rate limit (429, <c>ratelimited</c>), its 5xx and transient errors, and
/// network failures; anything else (a revoked token, an unknown channel) fails the same way next time.
/// </summary>
public sealed record SlackSendResult(DeliveryResult Delivery, string RequestUrl, string RequestBody, bool Ok, bool Retryable, TimeSpan? RetryAfter, string? Error);

/// <summary>
/// Posts to Slack the way its documentation describes: an incoming webhook takes the message as JSON and answers
/// <c>ok</c>; <c>chat.postMessage</c> takes it with the channel and a bearer token and answers <c>{"ok": …}</c> with
/// HTTP 200 even when it refuses. Goes through the guarded client like every delivery; the credential is redacted
/// from everything the result holds (the webhook URL's path is the secret).
/// </summary>
public sealed class SlackClient(WebhookSender sender, RetryPolicy retries, IOptionsMonitor<SlackOptions> options)
{
    /// <summary>Slack's limits: a header block's text, a section's text, and a message's fallback text.</summary>
    public const int MaxHeaderLength = 150;
    public const int MaxSectionLength = 3000;

    private static readonly HashSet<string> TransientErrors = ["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"];

    public async Task<SlackSendResult> SendAsync(string kind, string channel, string credential, SlackMessage message, CancellationToken ct)
    {
        var bot = kind == SlackDeliveryKinds.BotToken;
        var url = bot ? options.CurrentValue.ApiBaseUrl.TrimEnd('/') + "/chat.postMessage" : credential;
        var body = Body(bot ? channel : null, message);
        var bytes = Encoding.UTF8.GetBytes(body);
        var outbound = new OutboundWebhook(url, bytes, null, bot ? credential : null)
        {
            ContentType = "application/json; charset=utf-8",
            SecretValues = bot ? [] : [credential, SecretPart(credential)],
        };
        var result = await sender.SendAsync(outbound, ct);
        var shownUrl = bot ? url : Hint(credential);
        var (ok, retryable, error) = Interpret(bot, result);
        var retryAfter = retryable ? retries.RetryAfter(result.ResponseHeaders) : null;
        return new SlackSendResult(result, shownUrl, body, ok, retryable, retryAfter, error);
    }

    /// <summary>A header block with the title, a mrkdwn section with the text, and the two as the notification's fallback text.</summary>
    public static string Body(string? channel, SlackMessage message)
    {
        var title = Cut(message.Title.ReplaceLineEndings(" ").Trim(), MaxHeaderLength);
        var text = Cut(message.Text.Trim(), MaxSectionLength);
        var blocks = new JsonArray();
        if (title.Length > 0)
        {
            blocks.Add(new JsonObject { ["type"] = "header", ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = title, ["emoji"] = true } });
        }
        if (text.Length > 0)
        {
            blocks.Add(new JsonObject { ["type"] = "section", ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = text } });
        }

        var body = new JsonObject();
        if (channel is not null)
        {
            body["channel"] = channel;
        }
        body["text"] = title.Length > 0 && text.Length > 0 ? $"{title}\n{text}" : title + text;
        body["blocks"] = blocks;
        return body.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>What may be shown of a credential: the webhook URL without its secret path, or the token's kind.</summary>
    public static string Hint(string credential)
    {
        if (Uri.TryCreate(credential, UriKind.Absolute, out var uri))
        {
            var path = uri.AbsolutePath.StartsWith("/services/", StringComparison.Ordinal) ? "/services/" : "/";
            return $"{uri.Scheme}://{uri.Authority}{path}••••";
        }

        var dash = credential.IndexOf('-', StringComparison.Ordinal);
        return (dash is > 0 and < 6 ? credential[..(dash + 1)] : "") + "••••";
    }

    private static string SecretPart(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1 ? uri.PathAndQuery.TrimStart('/') : url;

    private static string Cut(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    private static (bool Ok, bool Retryable, string? Error) Interpret(bool bot, DeliveryResult result)
    {
        if (result.StatusCode is null)
        {
            return (false, result.ErrorKind is not DeliveryErrorKind.Blocked, result.Error);
        }

        var status = result.StatusCode.Value;
        var said = (result.ResponseBody ?? "").Trim();
        if (status == 429)
        {
            return (false, true, "Slack is rate limiting this channel (429): retrying after the time it asked for.");
        }
        if (status is 408 or >= 500)
        {
            return (false, true, $"Slack answered {status}: retrying.");
        }
        if (!bot)
        {
            // Incoming webhooks answer "ok", or a 4xx with the error's code as the body.
            return result.IsSuccess ? (true, false, null) : (false, false, Explain(said.Length > 0 ? said : $"HTTP {status}"));
        }

        string? error = null;
        try
        {
            using var json = JsonDocument.Parse(said);
            if (json.RootElement.TryGetProperty("ok", out var ok) && ok.ValueKind == JsonValueKind.True && result.IsSuccess)
            {
                return (true, false, null);
            }

            error = json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
        }
        catch (JsonException)
        {
        }

        error ??= $"HTTP {status}, not a Slack API answer";
        return (false, TransientErrors.Contains(error), Explain(error));
    }

    /// <summary>Slack's error code, with what to do about the common ones.</summary>
    private static string Explain(string code) => "Slack refused the message: " + code + code switch
    {
        "not_in_channel" => " (invite the app to the channel first: /invite @your-app).",
        "channel_not_found" => " (check the channel: a bot token needs the channel's ID or name, and access to it).",
        "invalid_auth" or "not_authed" or "token_revoked" or "token_expired" or "account_inactive" =>
            " (the bot token is no longer valid: a team admin replaces it under Team Settings → Slack).",
        "no_service" or "invalid_token" or "no_team" or "team_disabled" =>
            " (the incoming-webhook URL is no longer valid: a team admin replaces it under Team Settings → Slack).",
        "channel_is_archived" or "is_archived" => " (the channel is archived).",
        "ratelimited" => " (rate limited: retrying).",
        _ => ".",
    };
}
