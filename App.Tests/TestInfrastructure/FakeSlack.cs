using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Automations.Tests.TestInfrastructure;

/// <summary>
/// Slack on a loopback socket, checking requests the way Slack's API documents them. An incoming webhook
/// (<c>/services/T…/B…/secret</c>) takes JSON with <c>text</c> or <c>blocks</c> and answers 200 <c>ok</c>, or 400
/// <c>invalid_payload</c> / 404 <c>no_service</c>. <c>/api/chat.postMessage</c> takes a bearer token and JSON with
/// <c>channel</c> and <c>text</c> or <c>blocks</c>, and answers HTTP 200 with <c>{"ok": true}</c> or
/// <c>{"ok": false, "error": …}</c>. <see cref="Script"/> queues answers (a 429 with <c>Retry-After</c>) ahead of the rules.
/// </summary>
public sealed class FakeSlack : IAsyncDisposable
{
    public const string WebhookPath = "/services/T0001/B0001/s3cr3tW3bh00kP4th";
    public const string BotToken = "xoxb-1111-2222-s3cr3tb0tt0k3n";
    public const string Channel = "C0123ABCD";

    private readonly LoopbackReceiver _receiver;

    /// <summary>Answers to give before the rules, in order: status, body, Retry-After seconds.</summary>
    public ConcurrentQueue<(int Status, string Body, int? RetryAfter)> Script { get; } = new();

    /// <summary>Requests that Slack took (after the script and the checks).</summary>
    public ConcurrentQueue<JsonElement> Posted { get; } = new();

    public ConcurrentQueue<ReceivedRequest> Received => _receiver.Received;

    private FakeSlack(LoopbackReceiver receiver)
    {
        _receiver = receiver;
        _receiver.Respond = RespondAsync;
    }

    public static async Task<FakeSlack> StartAsync() => new(await LoopbackReceiver.StartAsync());

    public string WebhookUrl => _receiver.Url(WebhookPath);

    /// <summary>The value for <c>Slack:ApiBaseUrl</c>.</summary>
    public string ApiBaseUrl => _receiver.Url("/api/");

    private async Task RespondAsync(HttpContext context)
    {
        if (Script.TryDequeue(out var scripted))
        {
            if (scripted.RetryAfter is { } seconds)
            {
                context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            context.Response.StatusCode = scripted.Status;
            await context.Response.WriteAsync(scripted.Body);
            return;
        }

        var request = _receiver.Received.Last();
        var isJson = request.Headers.TryGetValue("Content-Type", out var type) && type.StartsWith("application/json", StringComparison.Ordinal);
        JsonElement? body = null;
        try
        {
            body = isJson ? JsonDocument.Parse(request.Body).RootElement.Clone() : null;
        }
        catch (JsonException)
        {
        }

        var hasMessage = body is { ValueKind: JsonValueKind.Object } b
                         && (b.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString()!.Length > 0
                             || b.TryGetProperty("blocks", out var blocks) && blocks.ValueKind == JsonValueKind.Array && blocks.GetArrayLength() > 0)
                         && BlocksAreValid(b);
        if (request.Path == WebhookPath)
        {
            (context.Response.StatusCode, var answer) = hasMessage ? (200, "ok") : (400, "invalid_payload");
            if (hasMessage)
            {
                Posted.Enqueue(body!.Value);
            }

            await context.Response.WriteAsync(answer);
            return;
        }

        if (request.Path != "/api/chat.postMessage")
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("no_service");
            return;
        }

        // Slack's Web API answers 200 even when it refuses; the reason is in the body.
        var error = !request.Headers.TryGetValue("Authorization", out var auth) || auth != $"Bearer {BotToken}" ? "invalid_auth"
            : body is not { ValueKind: JsonValueKind.Object } || !body.Value.TryGetProperty("channel", out var channel) ? "channel_not_found"
            : channel.GetString() != Channel ? "channel_not_found"
            : !hasMessage ? "no_text"
            : null;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (error is null)
        {
            Posted.Enqueue(body!.Value);
        }

        await context.Response.WriteAsync(error is null ? $$"""{"ok":true,"channel":"{{Channel}}","ts":"1700000000.000100"}""" : $$"""{"ok":false,"error":"{{error}}"}""");
    }

    /// <summary>Each block has a known type and, for header and section, text of the right kind within Slack's limits.</summary>
    private static bool BlocksAreValid(JsonElement body)
    {
        if (!body.TryGetProperty("blocks", out var blocks))
        {
            return true;
        }

        foreach (var block in blocks.EnumerateArray())
        {
            var kind = block.GetProperty("type").GetString();
            var text = block.TryGetProperty("text", out var t) ? t : default;
            var ok = kind switch
            {
                "header" => text.GetProperty("type").GetString() == "plain_text" && text.GetProperty("text").GetString()!.Length is > 0 and <= 150,
                "section" => text.GetProperty("type").GetString() is "mrkdwn" or "plain_text" && text.GetProperty("text").GetString()!.Length is > 0 and <= 3000,
                "divider" => true,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();
}
