using System.Text.Json;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Features.Automations.Actions;

/// <summary>
/// What the wizard shares with an action's step: who is editing, where (a project, or the team when
/// <see cref="Project"/> is null), the trigger so far (for previews), the action's part of the input, and the field errors.
/// </summary>
public sealed class ActionDraft
{
    public required Actor Actor { get; init; }

    public required string Team { get; init; }

    /// <summary>Null for a team-scoped automation.</summary>
    public string? Project { get; init; }

    /// <summary>The automation being edited; null for a new one.</summary>
    public AutomationDetail? Existing { get; init; }

    public string EventType { get; set; } = Artifacts.ArtifactEventTypes.LinkArtifact;

    public string? Collection { get; set; }

    public string? AliasPattern { get; set; }

    /// <summary>Field → why it is wrong, from the step's own checks or from the service at save.</summary>
    public Dictionary<string, string> Errors { get; } = [];

    public int? WebhookId { get; set; }

    public string? PayloadTemplate { get; set; }

    public string? Job { get; set; }

    public int? JobVersion { get; set; }

    public string? Queue { get; set; }

    public string? DestinationProject { get; set; }

    public string? Overrides { get; set; }

    /// <summary>The settings of an action that keeps them to itself (<see cref="AutomationInput.Action"/>).</summary>
    public JsonElement? Action { get; set; }

    public AutomationInput ToInput(string name, string? description, string actionType, bool enabled) =>
        new(name, description, EventType, Collection, AliasPattern, actionType, WebhookId, PayloadTemplate, enabled, Job, JobVersion, Queue, DestinationProject, Overrides, Action);
}

/// <summary>
/// An action's step in the automation wizard, kept in the action's folder and named by <see cref="IAutomationAction.WizardStep"/>.
/// It edits its part of <see cref="Draft"/> and shows the errors of its fields.
/// </summary>
public abstract class ActionStep : ComponentBase
{
    [Parameter, EditorRequired]
    public ActionDraft Draft { get; set; } = null!;

    /// <summary>Checks what the step asks for before the wizard moves on, writing into <see cref="ActionDraft.Errors"/>; the service checks everything again at save.</summary>
    public virtual Task CheckAsync() => Task.CompletedTask;

    protected string? Error(string field) => Draft.Errors.GetValueOrDefault(field);

    protected bool HasError(string field) => Draft.Errors.ContainsKey(field);
}
