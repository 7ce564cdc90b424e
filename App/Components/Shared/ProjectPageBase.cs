using Automations.Features.Artifacts;
using Automations.Infrastructure;
using Microsoft.AspNetCore.Components;

namespace Automations.Components.Shared;

/// <summary>A page under /teams/{Team}/projects/{Project}: resolves the caller's access to the project, or 404.</summary>
public abstract class ProjectPageBase : ComponentBase
{
    [Parameter]
    public string Team { get; set; } = "";

    [Parameter]
    public string Project { get; set; } = "";

    [Inject]
    protected ArtifactService Artifacts { get; set; } = null!;

    [Inject]
    protected CurrentActor CurrentActor { get; set; } = null!;

    [Inject]
    protected NavigationManager Navigation { get; set; } = null!;

    protected Actor Actor { get; private set; } = null!;

    protected ProjectAccess? Access { get; private set; }

    protected string ProjectPath => $"teams/{Team}/projects/{Project}";

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            Actor = await CurrentActor.GetAsync();
            Access = await Artifacts.GetProjectAsync(Actor, Team, Project);
            await OnProjectLoadedAsync();
        }
        catch (NotFoundException)
        {
            Access = null;
            Navigation.NotFound();
        }
    }

    protected virtual Task OnProjectLoadedAsync() => Task.CompletedTask;
}
