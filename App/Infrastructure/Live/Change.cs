namespace Automations.Infrastructure.Live;

/// <summary>What kind of row changed; open pages refresh when a change of theirs arrives.</summary>
public enum ChangeKind
{
    Run,
    LaunchRun,
    Webhook,
    Automation,
    Agent,

    /// <summary>Changes may have been missed (the cross-instance feed reconnected): every page refreshes once.</summary>
    Everything,
}

/// <summary>
/// One committed change, with what pages filter on: the team always, the project, automation, webhook or queue when the row
/// has one. It says what changed, never the new values: a page reads those itself, with the viewer's access.
/// </summary>
public sealed record Change(ChangeKind Kind, int TeamId, long Id = 0, int? ProjectId = null, int? AutomationId = null, int? WebhookId = null,
    int? QueueId = null)
{
    public static readonly Change Everything = new(ChangeKind.Everything, 0);

    /// <summary>True for the kind asked for in the team asked for, and always for <see cref="Everything"/>.</summary>
    public bool Is(ChangeKind kind, int teamId) => Kind == ChangeKind.Everything || (Kind == kind && TeamId == teamId);
}
