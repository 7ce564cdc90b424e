using Automations.Components.Shared;
using Automations.Features.Teams;
using Automations.Infrastructure;
using MudBlazor;

namespace Automations.Features.ApiKeys;

public partial class ApiKeysPage
{
    private const string AllTeams = "";

    private Actor? _actor;
    private IReadOnlyList<ApiKeySummary> _keys = [];
    private IReadOnlyList<TeamSummary> _teams = [];
    private string _name = "";
    private string _team = AllTeams;
    private KeyPermission _permission = KeyPermission.Admin;
    private string? _queue;
    private int _days;
    private string? _created;
    private string? _error;

    protected override async Task OnInitializedAsync()
    {
        _actor = await CurrentActor.GetAsync();
        _teams = await Teams.ListMineAsync(_actor);
        await LoadAsync();
    }

    private async Task LoadAsync() => _keys = await ApiKeys.ListAsync(_actor!);

    private async Task CreateAsync()
    {
        _error = null;
        try
        {
            var input = new ApiKeyInput(_name, _team == AllTeams ? null : _team, _permission, _queue, ExpiresInDays: _days == 0 ? null : _days);
            _created = (await ApiKeys.CreateAsync(_actor!, input)).Key;
            _name = "";
            await LoadAsync();
        }
        catch (Exception ex) when (ErrorText.ForUser(ex) is { } message)
        {
            _error = message;
        }
    }

    private async Task RevokeAsync(ApiKeySummary key)
    {
        if (await Dialogs.ShowMessageBoxAsync("Revoke key", $"Revoke {key.Name}? Scripts using it get 401 from their next request.", yesText: "Revoke", cancelText: "Cancel") == true)
        {
            await ApiKeys.RevokeAsync(_actor!, key.Id);
            await LoadAsync();
        }
    }
}
