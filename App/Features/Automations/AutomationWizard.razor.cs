using Automations.Components.Shared;
using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Features.Automations;

public partial class AutomationWizard
{
    private static readonly HashSet<string> StepOneFields = ["eventType", "collection", "aliasPattern", "actionType"];
    private static readonly HashSet<string> StepTwoFields = ["webhookId", "payloadTemplate", "job", "jobVersion", "queue", "destinationProject", "overrides"];

    [Parameter]
    public int? Id { get; set; }

    [Inject]
    private AutomationService Automations { get; set; } = null!;

    [Inject]
    private WebhookService Webhooks { get; set; } = null!;

    [Inject]
    private JobService Jobs { get; set; } = null!;

    [Inject]
    private QueueService Queues { get; set; } = null!;

    private JsonEditor? _editor;
    private JsonEditor? _overridesEditor;
    private IReadOnlyList<JobSummary> _jobs = [];
    private IReadOnlyList<JobVersionView> _jobVersions = [];
    private IReadOnlyList<QueueSummary> _queues = [];
    private IReadOnlyList<ProjectSummary> _projects = [];
    private string? _job;
    private int? _jobVersion;
    private string? _queue;
    private string? _destinationProject;
    private string _overrides = "{\n  \"artifact\": \"${artifact_version_string}\"\n}";
    private PayloadPreview _configPreview = new(null, null, true, "");
    private bool _loaded;
    private bool _busy;
    private int _step;
    private IReadOnlyList<CollectionSummary> _collections = [];
    private IReadOnlyList<WebhookSummary> _webhooks = [];
    private IReadOnlyList<string> _secretNames = [];
    private readonly Dictionary<string, string> _errors = [];
    private PayloadPreview? _preview;
    private CancellationTokenSource? _previewCancellation;

    private string _eventType = ArtifactEventTypes.LinkArtifact;
    private string? _collection;
    private string? _aliasPattern;
    private string _actionType = ActionTypes.Webhook;
    private int? _webhookId;
    private string _template = PayloadPresets.Default.Template;
    private string _name = "";
    private string _description = "";
    private bool _enabled = true;

    protected override async Task OnProjectLoadedAsync()
    {
        _collections = await Artifacts.ListCollectionsAsync(Actor, Team, Project);
        _webhooks = await Webhooks.ListAsync(Actor, Team);
        _secretNames = await Automations.SecretNamesAsync(Actor, Team);
        _jobs = await Jobs.ListJobsAsync(Actor, Team);
        _queues = await Queues.ListQueuesAsync(Actor, Team);
        _projects = await Artifacts.ListProjectsAsync(Actor, Team);
        _destinationProject = Project;
        if (Id is { } id)
        {
            var existing = await Automations.GetAsync(Actor, Team, Project, id);
            var s = existing.Summary;
            (_eventType, _collection, _aliasPattern, _actionType) = (s.EventType, s.Collection, s.AliasPattern, s.ActionType);
            (_webhookId, _template, _name, _description, _enabled) = (existing.WebhookId, existing.PayloadTemplate ?? _template, s.Name, s.Description, s.Enabled);
            if (existing.Launch is { } launch)
            {
                (_job, _jobVersion, _queue, _destinationProject) = (launch.Job, launch.JobVersion, launch.Queue, launch.DestinationProject ?? Project);
                _overrides = launch.Overrides ?? "{}";
            }
        }
        else
        {
            _collection = _collections.FirstOrDefault()?.Name;
            _webhookId = _webhooks.FirstOrDefault()?.Id;
            _job = _jobs.FirstOrDefault()?.Name;
            _queue = _queues.FirstOrDefault()?.Name;
        }

        _loaded = true;
        await LoadJobVersionsAsync();
        await RefreshPreviewAsync();
    }

    private string? Error(string field) => _errors.GetValueOrDefault(field);

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The preview is what is sent, indented for reading.</summary>
    private static string? Pretty(string? json) =>
        json is null ? null : System.Text.Json.Nodes.JsonNode.Parse(json)?.ToJsonString(Indented) ?? "null";

    private AutomationInput Input() => _actionType == ActionTypes.Job
        ? new(_name, _description, _eventType, _collection, _aliasPattern, _actionType, null, null, _enabled, _job, _jobVersion, _queue, _destinationProject, _overrides)
        : new(_name, _description, _eventType, _collection, _aliasPattern, _actionType, _webhookId, _template, _enabled);

    /// <summary>Checks what the current step asks for before moving on; the service checks everything again at save.</summary>
    private async Task NextAsync()
    {
        _errors.Clear();
        if (_step == 0)
        {
            if (Trigger.Check(_eventType, _collection, _aliasPattern) is var (field, message))
            {
                _errors[field] = message;
            }
            if (_actionType == ActionTypes.Job && _jobs.Count == 0)
            {
                _errors["actionType"] = "The team has no jobs yet: a team admin creates them under Launch → Jobs.";
            }
        }
        else if (_step == 1 && _actionType == ActionTypes.Job)
        {
            if (_job is null)
            {
                _errors["job"] = "Choose one of the team's jobs.";
            }
            if (_queue is null)
            {
                _errors["queue"] = "Choose the queue the run goes to.";
            }
            if (LaunchRules.OverrideErrors(_overrides) is { Count: > 0 } overrideErrors)
            {
                _errors["overrides"] = string.Join(" ", overrideErrors);
            }
        }
        else if (_step == 1)
        {
            if (_webhookId is null)
            {
                _errors["webhookId"] = "Choose one of the team's webhooks.";
            }

            var templateErrors = PayloadTemplate.Validate(_template, _secretNames.ToHashSet());
            if (templateErrors.Count > 0)
            {
                _errors["payloadTemplate"] = string.Join(" ", templateErrors);
            }
        }

        if (_errors.Count == 0)
        {
            _step++;
            if (_step == 1)
            {
                await RefreshPreviewAsync();
            }
        }
    }

    private void Back()
    {
        _errors.Clear();
        _step = Math.Max(0, _step - 1);
    }

    private async Task SaveAsync()
    {
        _busy = true;
        _errors.Clear();
        try
        {
            var saved = Id is { } id
                ? await Automations.UpdateAsync(Actor, Team, Project, id, Input())
                : await Automations.CreateAsync(Actor, Team, Project, Input());
            Navigation.NavigateTo($"{ProjectPath}/automations?saved={Uri.EscapeDataString(saved.Summary.Name)}");
        }
        catch (Exception ex) when (ErrorText.ForUser(ex) is { } message)
        {
            var field = ErrorText.FieldOf(ex) ?? "_";
            _errors[field] = message;
            _step = StepOneFields.Contains(field) ? 0 : StepTwoFields.Contains(field) ? 1 : 2;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ApplyPresetAsync(PayloadPreset preset)
    {
        if (_editor is not null)
        {
            await _editor.SetValueAsync(preset.Template);
        }
        else
        {
            await OnTemplateChangedAsync(preset.Template);
        }
    }

    private async Task InsertAsync(string variable)
    {
        if (_editor is not null)
        {
            await _editor.InsertAsync("${" + variable + "}");
        }
    }

    private async Task OnTemplateChangedAsync(string value)
    {
        _template = value;
        _errors.Remove("payloadTemplate");
        await RefreshPreviewAsync();
    }

    private async Task OnJobChangedAsync(string? job)
    {
        (_job, _jobVersion) = (job, null);
        _errors.Remove("job");
        await LoadJobVersionsAsync();
        await RefreshPreviewAsync();
    }

    private async Task OnJobVersionChangedAsync(int? version)
    {
        _jobVersion = version;
        await RefreshPreviewAsync();
    }

    private async Task OnOverridesChangedAsync(string value)
    {
        _overrides = value;
        _errors.Remove("overrides");
        await RefreshPreviewAsync();
    }

    private async Task InsertOverrideAsync(string variable)
    {
        if (_overridesEditor is not null)
        {
            await _overridesEditor.InsertAsync("${" + variable + "}");
        }
    }

    private async Task LoadJobVersionsAsync()
    {
        _jobVersions = _job is null ? [] : (await Jobs.GetJobAsync(Actor, Team, _job)).Versions;
    }

    /// <summary>The version's defaults with the rendered overrides laid over them: what the run's configuration file will hold.</summary>
    private async Task<PayloadPreview> ConfigPreviewAsync(CancellationToken ct)
    {
        if (LaunchRules.OverrideErrors(_overrides) is { Count: > 0 } errors)
        {
            return new PayloadPreview(null, string.Join(" ", errors), false, "");
        }

        var defaults = (_jobVersion is { } n ? _jobVersions.FirstOrDefault(v => v.Number == n) : _jobVersions.FirstOrDefault())?.DefaultConfig ?? [];
        var rendered = await Automations.PreviewAsync(Actor, Team, Project, _eventType, _collection, _aliasPattern, string.IsNullOrWhiteSpace(_overrides) ? "{}" : _overrides, ct);
        return rendered.Json is null
            ? rendered
            : rendered with
            {
                Json = Pretty(ConfigMerge.Merge(defaults, System.Text.Json.Nodes.JsonNode.Parse(rendered.Json) as System.Text.Json.Nodes.JsonObject ?? []).ToJsonString()),
                Source = rendered.FromSample ? rendered.Source : $"From {rendered.Source}",
            };
    }

    private async Task RefreshPreviewAsync()
    {
        // Typing fires many changes: only the newest preview request counts.
        _previewCancellation?.Cancel();
        var cancellation = _previewCancellation = new CancellationTokenSource();
        try
        {
            if (_actionType == ActionTypes.Job)
            {
                var config = await ConfigPreviewAsync(cancellation.Token);
                if (!cancellation.IsCancellationRequested)
                {
                    _configPreview = config;
                }

                return;
            }

            var preview = await Automations.PreviewAsync(Actor, Team, Project, _eventType, _collection, _aliasPattern, _template, cancellation.Token);
            if (!cancellation.IsCancellationRequested)
            {
                _preview = preview;
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
