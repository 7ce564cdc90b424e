using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Features.Automations;
using Automations.Features.Automations.Actions;
using Automations.Features.Dispatch;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Slack;

/// <summary>The action's part of the input (<see cref="AutomationInput.Action"/>) and of the detail: which integration, and the message.</summary>
public sealed class SlackActionInput
{
    /// <summary>The integration's name.</summary>
    public string? Integration { get; set; }

    /// <summary>The header line, with template variables.</summary>
    public string? Title { get; set; }

    /// <summary>The body (Slack mrkdwn), with template variables.</summary>
    public string? Text { get; set; }
}

/// <summary>What the automation, and each run's snapshot, keep in their <c>Settings</c> document.</summary>
public sealed record SlackSettings(int IntegrationId, string IntegrationName, string Channel, string Title, string Text)
{
    public string ToJson() => JsonSerializer.Serialize(this, JsonSerializerOptions.Web);

    public static SlackSettings? Parse(string? json) => string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<SlackSettings>(json, JsonSerializerOptions.Web);

    /// <summary>The title and text as one JSON template, so they are checked and rendered as the payloads are (string values only).</summary>
    public static string Template(string? title, string? text) => new JsonObject { ["title"] = title ?? "", ["text"] = text ?? "" }.ToJsonString();

    /// <summary>What is wrong with a title and text (unknown variables; secrets, which everyone in the channel would read), or nothing.</summary>
    public static IReadOnlyList<string> TemplateErrors(string? title, string? text) =>
        PayloadTemplate.Validate(Template(title, text), [], "Slack messages cannot use secrets (everyone in the channel reads them): leave them out.");
}

/// <summary>Post a message, with the event's details, to a Slack channel through one of the team's Slack integrations.</summary>
public sealed class SlackAction(SlackService slack, TimeProvider clock) : IAutomationAction
{
    public const string TypeName = "slack";
    public const int MaxTitleLength = 500;
    public const int MaxTextLength = 8000;

    public string Type => TypeName;

    public string DisplayName => "Slack";

    public string WizardLabel => "Slack notification";

    public Type WizardStep => typeof(SlackActionStep);

    public async Task ApplyAsync(ActionInput context, CancellationToken ct)
    {
        var (db, teamId, _, automation, _) = context;
        var input = context.ActionAs<SlackActionInput>();
        var name = input.Integration?.Trim() ?? "";
        var integration = await db.SlackIntegrations.Where(s => s.TeamId == teamId && s.Name == name)
            .Select(s => new { s.Id, s.Name, s.Channel }).FirstOrDefaultAsync(ct)
            ?? throw new InputException("integration", name.Length == 0 ? "Choose one of the team's Slack integrations." : $"The team has no Slack integration '{name}'.");
        var title = TextRules.Require(input.Title, "title", multiline: false)?.Trim() ?? "";
        var text = TextRules.Require(input.Text, "text")?.Trim() ?? "";
        if (title.Length is 0 or > MaxTitleLength)
        {
            throw new InputException("title", $"Enter the message's title (at most {MaxTitleLength} characters).");
        }
        if (text.Length > MaxTextLength)
        {
            throw new InputException("text", $"The message text must be at most {MaxTextLength} characters.");
        }

        if (SlackSettings.TemplateErrors(title, text) is { Count: > 0 } errors)
        {
            throw new InputException("text", string.Join(" ", errors));
        }

        automation.ClearAction();
        automation.Settings = new SlackSettings(integration.Id, integration.Name, integration.Channel, title, text).ToJson();
    }

    /// <summary>One query for the team's integrations, whatever the number of automations.</summary>
    public async Task<IReadOnlyList<ActionView>> DescribeAsync(ActionLookup lookup, IReadOnlyList<Automation> automations, CancellationToken ct)
    {
        var live = await lookup.Db.SlackIntegrations.Where(s => s.TeamId == lookup.TeamId).ToDictionaryAsync(s => s.Id, s => s.Name, ct);
        return automations.Select(a =>
        {
            var settings = SlackSettings.Parse(a.Settings);
            return settings is null || !live.TryGetValue(settings.IntegrationId, out var current)
                ? new ActionView(settings?.IntegrationName, null, $"Broken: Slack integration '{settings?.IntegrationName}' was deleted. Edit the automation to choose another.")
                : new ActionView($"{current} ({settings.Channel})", null, null);
        }).ToList();
    }

    public async Task<string?> UnavailableAsync(Data.AppDbContext db, int teamId, CancellationToken ct) =>
        await db.SlackIntegrations.AnyAsync(s => s.TeamId == teamId, ct) ? null
            : "The team has no Slack integrations yet. A team admin adds one under Team Settings → Slack.";

    public object? Settings(Automation automation) => SlackSettings.Parse(automation.Settings) is { } s
        ? new SlackActionInput { Integration = s.IntegrationName, Title = s.Title, Text = s.Text }
        : null;

    public void Snapshot(Automation automation, AutomationRun run)
    {
        var settings = SlackSettings.Parse(automation.Settings);
        run.Action = new ActionSnapshot { Settings = automation.Settings, Target = $"Slack {settings?.Channel} ({settings?.IntegrationName})" };
    }

    /// <summary>
    /// Renders the title and text for the run's event and posts them. Slack's 429 (with its <c>Retry-After</c>),
    /// 5xx and transient errors are retried on the run's schedule; a refusal (revoked token, unknown channel) fails the run.
    /// </summary>
    public async Task<ActionOutcome> AttemptAsync(ActionAttempt context, CancellationToken ct)
    {
        var (db, run) = context;
        var startedAt = clock.GetUtcNow();
        var settings = SlackSettings.Parse(run.Action.Settings);
        var integration = settings is null ? null
            : await db.SlackIntegrations.AsNoTracking().FirstOrDefaultAsync(s => s.Id == settings.IntegrationId && s.TeamId == run.TeamId, ct);
        if (settings is null || integration is null)
        {
            return ActionOutcome.Failed(DeliveryAttempt.Of(run, startedAt, "", "", null, $"The Slack integration '{settings?.IntegrationName}' was deleted."));
        }

        SlackMessage message;
        try
        {
            var rendered = JsonNode.Parse(PayloadTemplate.Render(SlackSettings.Template(settings.Title, settings.Text),
                await TemplateContext.ForEventAsync(db, run.EventId, new Dictionary<string, string>(), ct)))!;
            message = new SlackMessage(rendered["title"]?.GetValue<string>() ?? "", rendered["text"]?.GetValue<string>() ?? "");
        }
        catch (TemplateException ex)
        {
            return ActionOutcome.Failed(DeliveryAttempt.Of(run, startedAt, integration.CredentialHint, "", null, $"The message could not be rendered: {ex.Message}"));
        }

        var result = await slack.SendAsync(integration, message, ct);
        var attempt = DeliveryAttempt.Of(run, startedAt, result.RequestUrl, result.RequestBody, result.Delivery, result.Error);
        attempt.RequestHeadersJson = JsonSerializer.Serialize(result.Delivery.RequestHeaders);
        return result.Ok ? ActionOutcome.Succeeded(attempt)
            : result.Retryable ? ActionOutcome.Retry(attempt, result.RetryAfter)
            : ActionOutcome.Failed(attempt);
    }
}
