using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Automations.Features.Automations;
using Automations.Features.Automations.Actions;
using Automations.Features.Dispatch;
using Automations.Features.Secrets;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Webhooks;

/// <summary>POST a rendered JSON payload to one of the team's webhooks, signed with its secret.</summary>
public sealed class WebhookAction(SecretService secrets, WebhookSender sender, EndpointHealth health, RetryPolicy retries, TimeProvider clock) : IAutomationAction
{
    public string Type => ActionTypes.Webhook;

    public string DisplayName => "Webhook";

    public string WizardLabel => "Webhooks";

    public Type WizardStep => typeof(WebhookActionStep);

    public async Task ApplyAsync(ActionInput context, CancellationToken ct)
    {
        var (db, teamId, _, automation, input) = context;
        var webhook = await db.Webhooks.Where(w => w.Id == input.WebhookId && w.TeamId == teamId)
            .Select(w => new { w.Id, w.Name }).FirstOrDefaultAsync(ct)
            ?? throw new InputException("webhookId", "Choose one of the team's webhooks.");
        if (Encoding.UTF8.GetByteCount(TextRules.Require(input.PayloadTemplate, "payloadTemplate") ?? "") > AutomationService.MaxTemplateBytes)
        {
            throw new InputException("payloadTemplate", $"The payload template must be at most {AutomationService.MaxTemplateBytes / 1024} KB.");
        }

        var errors = PayloadTemplate.Validate(input.PayloadTemplate, await SecretService.NamesAsync(db, teamId, ct));
        if (errors.Count > 0)
        {
            throw new InputException("payloadTemplate", string.Join(" ", errors));
        }

        automation.ClearAction();
        (automation.WebhookId, automation.WebhookName, automation.PayloadTemplate) = (webhook.Id, webhook.Name, input.PayloadTemplate);
    }

    public Task<IReadOnlyList<ActionView>> DescribeAsync(ActionLookup lookup, IReadOnlyList<Automation> automations, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<ActionView>>(automations.Select(a => Describe(a, lookup.SecretNames)).ToList());

    private static ActionView Describe(Automation a, IReadOnlySet<string> secretNames)
    {
        var problem = a.Webhook is null
            ? $"Broken: webhook '{a.WebhookName}' was deleted. Edit the automation to choose another."
            : a.PayloadTemplate is not null && PayloadTemplate.Validate(a.PayloadTemplate, secretNames) is { Count: > 0 } errors
                ? $"Broken: {string.Join(" ", errors)}"
                : null;
        return new ActionView(a.Webhook?.Name ?? a.WebhookName, null, problem);
    }

    public void Snapshot(Automation automation, AutomationRun run)
    {
        run.WebhookId = automation.WebhookId;
        run.Action = new ActionSnapshot { WebhookName = automation.WebhookName, Template = automation.PayloadTemplate, Target = $"webhook {automation.WebhookName}" };
    }

    public async Task<ActionOutcome> AttemptAsync(ActionAttempt context, CancellationToken ct)
    {
        var (db, run) = context;
        var webhook = run.WebhookId is null ? null
            : await db.Webhooks.Include(w => w.Secret).Include(w => w.AccessToken).FirstOrDefaultAsync(w => w.Id == run.WebhookId, ct);
        if (webhook is { Disabled: true })
        {
            // Waits instead of burning attempts; re-enabling the webhook makes it due again.
            return ActionOutcome.Parked($"Waiting: webhook '{webhook.Name}' is disabled ({webhook.DisabledReason}).");
        }

        var startedAt = clock.GetUtcNow();
        if (webhook is null)
        {
            return ActionOutcome.Failed(DeliveryAttempt.Of(run, startedAt, "", "", null, $"The webhook '{run.Action.WebhookName}' was deleted."));
        }

        // The webhook's own secrets came with it; the team's others are read only when the payload may use them.
        var signingSecret = webhook.Secret is null ? null : secrets.Unprotect(webhook.Secret.ProtectedValue);
        var accessToken = webhook.AccessToken is null ? null : secrets.Unprotect(webhook.AccessToken.ProtectedValue);
        var values = PayloadTemplate.MayReferenceSecrets(run.Action.Template ?? "")
            ? await secrets.GetValuesAsync(run.TeamId, ct)
            : new Dictionary<string, string>();

        string body;
        try
        {
            body = PayloadTemplate.Render(run.Action.Template ?? "{}", await TemplateContext.ForEventAsync(db, run.EventId, values, ct));
        }
        catch (TemplateException ex)
        {
            return ActionOutcome.Failed(DeliveryAttempt.Of(run, startedAt, webhook.Url, "", null, $"The payload could not be rendered: {ex.Message}"), webhook);
        }

        var bytes = Encoding.UTF8.GetBytes(body);
        var timestamp = clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var extra = new List<KeyValuePair<string, string>> { new("webhook-id", run.MessageId), new("webhook-timestamp", timestamp) };
        if (signingSecret is not null)
        {
            extra.Add(new("webhook-signature", StandardSignature(signingSecret, run.MessageId, timestamp, bytes)));
        }

        // Every team secret the payload may have used is redacted from the result, not only those it names:
        // the set is small and it costs nothing to be wide.
        var outbound = new OutboundWebhook(webhook.Url, bytes, signingSecret, accessToken) { ExtraHeaders = extra, SecretValues = values.Values.ToList() };
        DeliveryResult result;
        using (health.Begin(webhook.Id))
        {
            result = await sender.SendAsync(outbound, ct);
        }

        var attempt = DeliveryAttempt.Of(run, startedAt, webhook.Url, outbound.Redactor().Redact(body), result, result.Error);
        attempt.RequestHeadersJson = JsonSerializer.Serialize(result.RequestHeaders);
        if (result.IsSuccess)
        {
            return ActionOutcome.Succeeded(attempt, webhook);
        }

        var retryable = result.ErrorKind is DeliveryErrorKind.ConnectionRefused or DeliveryErrorKind.Timeout or DeliveryErrorKind.Network or DeliveryErrorKind.Dns
            || result.StatusCode is 408 or 429 or >= 500;
        return retryable ? ActionOutcome.Retry(attempt, retries.RetryAfter(result.ResponseHeaders), webhook) : ActionOutcome.Failed(attempt, webhook);
    }

    /// <summary>
    /// <c>v1,base64(HMAC-SHA256(secret, "{id}.{timestamp}.{body}"))</c>. The Standard Webhooks key is the
    /// secret's UTF-8 bytes: a receiver configures <c>whsec_</c> + base64 of the secret value.
    /// </summary>
    public static string StandardSignature(string secret, string messageId, string timestamp, byte[] body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{messageId}.{timestamp}.");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed, prefix.Length);
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
    }
}
