using Automations.Features.Launch;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Features.ApiKeys;

public partial class KeyLimitsFields
{
    [Parameter, EditorRequired]
    public Actor Actor { get; set; } = null!;

    /// <summary>The team whose queues an agent key chooses from; null when the key is not limited to a team.</summary>
    [Parameter]
    public string? Team { get; set; }

    [Parameter]
    public IReadOnlyList<KeyPermission> Permissions { get; set; } = Enum.GetValues<KeyPermission>();

    [Parameter]
    public KeyPermission Permission { get; set; }

    [Parameter]
    public EventCallback<KeyPermission> PermissionChanged { get; set; }

    [Parameter]
    public string? Queue { get; set; }

    [Parameter]
    public EventCallback<string?> QueueChanged { get; set; }

    /// <summary>0 for no expiry.</summary>
    [Parameter]
    public int ExpiresInDays { get; set; }

    [Parameter]
    public EventCallback<int> ExpiresInDaysChanged { get; set; }

    private IReadOnlyList<string> _queues = [];
    private string? _queuesOf;

    protected override async Task OnParametersSetAsync()
    {
        if (Permission == KeyPermission.Agent && Team is not null && _queuesOf != Team)
        {
            _queuesOf = Team;
            _queues = (await Queues.ListQueuesAsync(Actor, Team)).Select(q => q.Name).ToList();
        }
    }

    private async Task OnPermissionChangedAsync(KeyPermission permission)
    {
        await PermissionChanged.InvokeAsync(permission);
        if (permission != KeyPermission.Agent)
        {
            await QueueChanged.InvokeAsync(null);
        }
    }
}
