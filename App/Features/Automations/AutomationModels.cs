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
    string? Overrides = null,
    System.Text.Json.JsonElement? Action = null);

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
    /// <summary>The project it watches; null when it watches every project of the team (team-scoped).</summary>
    public string? Project { get; init; }

    public bool TeamScoped => Project is null;

    /// <summary>The action type as people read it (<c>Webhook</c>, <c>Slack</c>).</summary>
    public string ActionDisplay { get; init; } = ActionType;

    /// <summary>How the list shows the trigger: the event and its collection or alias pattern.</summary>
    public string TriggerLabel => Trigger.Label(EventType, Collection, AliasPattern, TeamScoped);
}

/// <summary>An action the wizard offers: its type, label, step component, and why the team cannot use it yet (or null).</summary>
public sealed record ActionChoice(string Type, string Label, Type Step, string? Unavailable);

/// <summary>The team's automations page: which of them to show. Null fields do not filter.</summary>
public sealed record AutomationFilter(string? Scope = null, string? Project = null, string? ActionType = null, bool? Enabled = null, string? Search = null)
{
    public const string TeamScope = "team";
    public const string ProjectScope = "project";
}

public sealed record LaunchAction(string? Job, int? JobVersion, string? Queue, string? DestinationProject, string? Overrides);

/// <summary>Action: the settings of an action that keeps them to itself (Slack), as it reads them back.</summary>
public sealed record AutomationDetail(AutomationSummary Summary, int? WebhookId, string? PayloadTemplate, LaunchAction? Launch = null, object? Action = null);

/// <summary>A rendered payload, or why it could not be rendered; Source says which event it used.</summary>
public sealed record PayloadPreview(string? Json, string? Error, bool FromSample, string Source);

/// <summary>Something a team admin is about to delete; the automations that use it will show as Broken.</summary>
public sealed record AutomationUse(int? WebhookId = null, string? Secret = null, string? Job = null, string? Queue = null, int? SlackIntegrationId = null);
