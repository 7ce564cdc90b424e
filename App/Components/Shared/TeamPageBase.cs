using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Components.Shared;

/// <summary>
/// A page under /teams/{Team}: resolves the caller's access once. A team the caller is not in answers 404,
/// exactly like a team that does not exist.
/// </summary>
public abstract class TeamPageBase : ComponentBase
{
    [Parameter]
    public string Team { get; set; } = "";

    [Inject]
    protected TeamService Teams { get; set; } = null!;

    [Inject]
    protected CurrentActor CurrentActor { get; set; } = null!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = null!;

    protected Actor? Actor { get; private set; }

    protected TeamAccess? Access { get; private set; }

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            Actor = await CurrentActor.GetAsync();
            Access = await Teams.GetAccessAsync(Actor, Team);
        }
        catch (NotFoundException)
        {
            Access = null;
            Navigation.NotFound();
            return;
        }

        await OnTeamLoadedAsync();
    }

    protected virtual Task OnTeamLoadedAsync() => Task.CompletedTask;
}
