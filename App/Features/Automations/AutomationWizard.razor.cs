using Automations.Components.Shared;
using Automations.Features.Artifacts;
using Automations.Features.Automations.Actions;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Features.Automations;

/// <summary>
/// Three steps: the trigger and the action type; the action's own step (a component of the action's folder, see
/// <see cref="IAutomationAction.WizardStep"/>); the name. For a project, or without one, a team-wide automation.
/// </summary>
public partial class AutomationWizard
{
    private static readonly HashSet<string> StepOneFields = ["eventType", "collection", "aliasPattern", "actionType", "project"];
    private static readonly HashSet<string> StepThreeFields = ["name", "description", "_"];

    [Parameter]
    public string Team { get; set; } = "";

    /// <summary>Null on the team's routes: a team-wide automation.</summary>
    [Parameter]
    public string? Project { get; set; }

    [Parameter]
    public int? Id { get; set; }

    [Inject]
    private AutomationService Automations { get; set; } = null!;

    [Inject]
    private ArtifactService Artifacts { get; set; } = null!;

    [Inject]
    private TeamService Teams { get; set; } = null!;

    [Inject]
    private CurrentActor CurrentActor { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    private ActionDraft? _draft;
    private ProjectAccess? _project;
    private string? _refused;
    private IReadOnlyList<ActionChoice> _choices = [];
    private IReadOnlyList<CollectionSummary> _collections = [];
    private DynamicComponent? _actionStep;
    private string _actionType = ActionTypes.Webhook;
    private string _name = "";
    private string _description = "";
    private bool _enabled = true;
    private bool _busy;
    private int _step;

    private ActionChoice? Choice => _choices.FirstOrDefault(c => c.Type == _actionType);

    private string ListPath => Project is null ? $"teams/{Team}/automations" : $"teams/{Team}/projects/{Project}/automations";

    protected override async Task OnParametersSetAsync()
    {
        var actor = await CurrentActor.GetAsync();
        try
        {
            if (Project is not null)
            {
                _project = await Artifacts.GetProjectAsync(actor, Team, Project);
                _collections = await Artifacts.ListCollectionsAsync(actor, Team, Project);
            }
            else if (!(await Teams.GetAccessAsync(actor, Team)).IsAdmin)
            {
                _refused = "Only team admins create and change team-wide automations, which act on every project of the team.";
                return;
            }

            _choices = await Automations.ActionChoicesAsync(actor, Team);
            var existing = Id is { } id ? await Automations.GetAsync(actor, Team, Project, id) : null;
            _draft = new ActionDraft { Actor = actor, Team = Team, Project = Project, Existing = existing };
            if (existing is not null)
            {
                Load(existing);
            }
            else
            {
                _draft.Collection = _collections.FirstOrDefault()?.Name;
            }
        }
        catch (NotFoundException)
        {
            Navigation.NotFound();
        }
    }

    /// <summary>The automation being edited, into the draft its action's step starts from.</summary>
    private void Load(AutomationDetail existing)
    {
        var s = existing.Summary;
        (_draft!.EventType, _draft.Collection, _draft.AliasPattern, _actionType) = (s.EventType, s.Collection, s.AliasPattern, s.ActionType);
        (_name, _description, _enabled) = (s.Name, s.Description, s.Enabled);
        (_draft.WebhookId, _draft.PayloadTemplate) = (existing.WebhookId, existing.PayloadTemplate);
        if (existing.Launch is { } launch)
        {
            (_draft.Job, _draft.JobVersion, _draft.Queue, _draft.DestinationProject) = (launch.Job, launch.JobVersion, launch.Queue, launch.DestinationProject ?? Project);
            (_draft.Overrides, _draft.PayloadTemplate) = (launch.Overrides ?? "{}", null);
        }
        if (existing.Action is { } settings)
        {
            _draft.Action = System.Text.Json.JsonSerializer.SerializeToElement(settings, settings.GetType(), System.Text.Json.JsonSerializerOptions.Web);
        }
    }

    private string? Error(string field) => _draft?.Errors.GetValueOrDefault(field);

    private static bool IsStepTwoField(string field) => !StepOneFields.Contains(field) && !StepThreeFields.Contains(field);

    private void OnAliasPatternChanged(string? pattern)
    {
        _draft!.AliasPattern = pattern;
        _draft.Errors.Remove("aliasPattern");
    }

    private void OnCollectionChanged(string? collection)
    {
        _draft!.Collection = collection;
        _draft.Errors.Remove("collection");
    }

    private void OnEventTypeChanged(string eventType)
    {
        _draft!.EventType = eventType;
        foreach (var field in new[] { "eventType", "collection", "aliasPattern" })
        {
            _draft.Errors.Remove(field);
        }
    }

    private void OnActionTypeChanged(string type)
    {
        _actionType = type;
        _draft!.Errors.Remove("actionType");
    }

    /// <summary>Checks what the current step asks for before moving on; the service checks everything again at save.</summary>
    private async Task NextAsync()
    {
        var draft = _draft!;
        draft.Errors.Clear();
        if (_step == 0)
        {
            if (Trigger.Check(draft.EventType, draft.Collection, draft.AliasPattern, Project is null) is var (field, message))
            {
                draft.Errors[field] = message;
            }
            if (Choice?.Unavailable is { } unavailable)
            {
                draft.Errors["actionType"] = unavailable;
            }
        }
        else if (_step == 1 && _actionStep?.Instance is ActionStep step)
        {
            await step.CheckAsync();
        }

        if (draft.Errors.Count == 0)
        {
            _step++;
        }
    }

    private void Back()
    {
        _draft!.Errors.Clear();
        _step = Math.Max(0, _step - 1);
    }

    private async Task SaveAsync()
    {
        var draft = _draft!;
        _busy = true;
        draft.Errors.Clear();
        try
        {
            var input = draft.ToInput(_name, _description, _actionType, _enabled);
            var saved = Id is { } id
                ? await Automations.UpdateAsync(draft.Actor, Team, Project, id, input)
                : await Automations.CreateAsync(draft.Actor, Team, Project, input);
            // The list names it from the id, which it reads with the viewer's access: a crafted link cannot put words on the page.
            Navigation.NavigateTo($"{ListPath}?saved={saved.Summary.Id}");
        }
        catch (Exception ex) when (ErrorText.ForUser(ex) is { } message)
        {
            var field = ErrorText.FieldOf(ex) ?? "_";
            draft.Errors[field] = message;
            _step = StepOneFields.Contains(field) ? 0 : StepThreeFields.Contains(field) ? 2 : 1;
        }
        finally
        {
            _busy = false;
        }
    }
}
