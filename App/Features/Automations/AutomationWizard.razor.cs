using Automations.Components.Shared;
using Automations.Features.Artifacts;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Features.Automations;

public partial class AutomationWizard
{
    private static readonly HashSet<string> StepOneFields = ["eventType", "collection", "aliasPattern", "actionType"];
    private static readonly HashSet<string> StepTwoFields = ["webhookId", "payloadTemplate"];

    [Parameter]
    public int? Id { get; set; }

    [Inject]
    private AutomationService Automations { get; set; } = null!;

    [Inject]
    private WebhookService Webhooks { get; set; } = null!;

    private JsonEditor? _editor;
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
        if (Id is { } id)
        {
            var existing = await Automations.GetAsync(Actor, Team, Project, id);
            var s = existing.Summary;
            (_eventType, _collection, _aliasPattern, _actionType) = (s.EventType, s.Collection, s.AliasPattern, s.ActionType);
            (_webhookId, _template, _name, _description, _enabled) = (existing.WebhookId, existing.PayloadTemplate ?? _template, s.Name, s.Description, s.Enabled);
        }
        else
        {
            _collection = _collections.FirstOrDefault()?.Name;
            _webhookId = _webhooks.FirstOrDefault()?.Id;
        }

        _loaded = true;
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

    private AutomationInput Input() => new(_name, _description, _eventType, _collection, _aliasPattern, _actionType, _webhookId, _template, _enabled);

    /// <summary>Checks what the current step asks for before moving on; the service checks everything again at save.</summary>
    private async Task NextAsync()
    {
        _errors.Clear();
        if (_step == 0)
        {
            if (_eventType == ArtifactEventTypes.LinkArtifact && string.IsNullOrWhiteSpace(_collection))
            {
                _errors["collection"] = "Choose the artifact collection whose new versions trigger this automation.";
            }
            if (_eventType == ArtifactEventTypes.AddArtifactAlias && AutomationMatcher.PatternError(_aliasPattern) is { } patternError)
            {
                _errors["aliasPattern"] = patternError;
            }
            if (_actionType == ActionTypes.Job)
            {
                _errors["actionType"] = "No job exists yet.";
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

    private async Task RefreshPreviewAsync()
    {
        // Typing fires many changes: only the newest preview request counts.
        _previewCancellation?.Cancel();
        var cancellation = _previewCancellation = new CancellationTokenSource();
        try
        {
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
