namespace Automations.Features.Automations;

/// <summary>
/// What the wizard and the API submit. Collection is a name; the webhook is the team's webhook id. A job
/// action names the team's job, its version number (null: the latest when the event happens), the queue,
/// the destination project, and configuration overrides (a JSON object template).
/// </summary>
public sealed record AutomationInput(
    string Name,
    string? Description,
    string EventType,
    string? Collection,
    string? AliasPattern,
    string ActionType,
    int? WebhookId,
    string? PayloadTemplate,
    bool Enabled = true,
    string? Job = null,
    int? JobVersion = null,
    string? Queue = null,
    string? DestinationProject = null,
    string? Overrides = null);

public sealed record AutomationSummary(
    int Id,
    string Name,
    string Description,
    string EventType,
    string? Collection,
    string? AliasPattern,
    string ActionType,
    string? ActionName,
    string? Queue,
    bool Enabled,
    string? Problem,
    string? LastRunStatus,
    DateTimeOffset? LastRunAt,
    DateTimeOffset CreatedAt,
    string CreatedBy)
{
    /// <summary>How the list shows the trigger: the event and its collection or alias pattern.</summary>
    public string TriggerLabel => Trigger.Label(EventType, Collection, AliasPattern);
}

public sealed record LaunchAction(string? Job, int? JobVersion, string? Queue, string? DestinationProject, string? Overrides);

public sealed record AutomationDetail(AutomationSummary Summary, int? WebhookId, string? PayloadTemplate, LaunchAction? Launch = null);

/// <summary>A rendered payload, or why it could not be rendered; Source says which event it used.</summary>
public sealed record PayloadPreview(string? Json, string? Error, bool FromSample, string Source);
