using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Features.AutomationsTab;

/// <summary>Automations that watch a whole team: every project, including projects created later.</summary>
public class TeamScopeTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private int _webhookId;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _services.CreateTeamAsync();
        _webhookId = (await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null))).Id;
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private ArtifactService Artifacts => _services.Get<ArtifactService>();

    private AutomationService Automations => _services.Get<AutomationService>();

    private AutomationInput Input(string name, string eventType = ArtifactEventTypes.LinkArtifact, string? collection = null, string? pattern = null) =>
        new(name, null, eventType, collection, pattern, ActionTypes.Webhook, _webhookId, PayloadPresets.Default.Template);

    private async Task<List<AutomationRun>> RunsAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return await db.AutomationRuns.Include(r => r.Event).ThenInclude(e => e.Project).OrderBy(r => r.Id).ToListAsync();
    }

    [Fact]
    public async Task A_team_wide_automation_runs_for_new_versions_in_every_project_including_ones_created_later()
    {
        var automation = await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Every version"));
        Assert.True(automation.Summary.TeamScoped);
        Assert.Equal("New version in any collection of the team", automation.Summary.TriggerLabel);

        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest(Type: "dataset"));
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "later", null);
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "later", "weights", new LogVersionRequest(Type: "model"));

        var runs = await RunsAsync();
        Assert.Equal(["vision", "later"], runs.Select(r => r.Event.Project.Name));
        Assert.All(runs, r => Assert.Equal(automation.Summary.Id, r.AutomationId));
        // Each run belongs to its event's project: that project's history shows it.
        var history = await _services.Get<DispatchService>().ListRunsAsync(_team.Member, _team.Slug, "later");
        Assert.Equal("Every version", Assert.Single(history.Items).AutomationName);
    }

    [Fact]
    public async Task A_team_wide_alias_trigger_matches_its_pattern_in_any_project_and_other_teams_are_untouched()
    {
        await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Production", ArtifactEventTypes.AddArtifactAlias, pattern: "prod(uction)?"));
        var other = await _services.CreateTeamAsync("other");
        await Artifacts.CreateProjectAsync(other.Admin, other.Slug, "vision", null);

        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "model", new LogVersionRequest(Type: "model", Aliases: ["staging"]));
        await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "model", "v0", "production");
        await Artifacts.LogVersionAsync(other.Admin, other.Slug, "vision", "model", new LogVersionRequest(Type: "model", Aliases: ["production"]));

        var run = Assert.Single(await RunsAsync());
        Assert.Equal(("production", "vision"), (run.Event.Alias, run.Event.Project.Name));
    }

    [Fact]
    public async Task Only_team_admins_create_change_and_delete_team_wide_automations_and_members_read_them()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => Automations.CreateAsync(_team.Member, _team.Slug, null, Input("Mine")));
        var created = await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Team hook"));

        Assert.Equal("Team hook", (await Automations.GetAsync(_team.Member, _team.Slug, null, created.Summary.Id)).Summary.Name);
        await Assert.ThrowsAsync<ForbiddenException>(() => Automations.UpdateAsync(_team.Member, _team.Slug, null, created.Summary.Id, Input("Renamed")));
        await Assert.ThrowsAsync<ForbiddenException>(() => Automations.SetEnabledAsync(_team.Member, _team.Slug, null, created.Summary.Id, false));
        await Assert.ThrowsAsync<ForbiddenException>(() => Automations.DeleteAsync(_team.Member, _team.Slug, null, created.Summary.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.GetAsync(_team.Outsider, _team.Slug, null, created.Summary.Id));

        // A team-wide automation is not one of a project's, and the other way round.
        var project = await Automations.CreateAsync(_team.Member, _team.Slug, "vision", Input("Team hook", collection: "x") with { Collection = null, EventType = ArtifactEventTypes.AddArtifactAlias, AliasPattern = "prod" });
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.GetAsync(_team.Member, _team.Slug, "vision", created.Summary.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Automations.GetAsync(_team.Member, _team.Slug, null, project.Summary.Id));

        await Automations.DeleteAsync(_team.Admin, _team.Slug, null, created.Summary.Id);
        Assert.Equal(["Team hook"], (await Automations.ListTeamAsync(_team.Member, _team.Slug)).Select(a => a.Name));
    }

    [Fact]
    public async Task Team_wide_triggers_take_no_collection_and_names_are_unique_within_the_team_scope()
    {
        var collection = await Assert.ThrowsAsync<InputException>(() => Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("X", collection: "eval-set")));
        Assert.Equal("collection", collection.Field);

        await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Deploy"));
        var taken = await Assert.ThrowsAsync<ConflictException>(() => Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Deploy")));
        Assert.Contains("team-scoped", taken.Message);

        // A project may have its own "Deploy".
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", Input("Deploy", collection: "eval-set"));
    }

    [Fact]
    public async Task The_team_list_shows_both_scopes_and_filters_by_scope_project_action_state_and_name()
    {
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "nlp", null);
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "nlp", "corpus", "dataset", null);
        await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Team deploy"));
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", Input("Vision eval", collection: "eval-set"));
        var nlp = await Automations.CreateAsync(_team.Member, _team.Slug, "nlp", Input("NLP corpus", collection: "corpus"));
        await Automations.SetEnabledAsync(_team.Member, _team.Slug, "nlp", nlp.Summary.Id, false);

        async Task<string[]> Names(AutomationFilter filter) => (await Automations.ListTeamAsync(_team.Member, _team.Slug, filter)).Select(a => a.Name).ToArray();

        Assert.Equal(["NLP corpus", "Team deploy", "Vision eval"], await Names(new()));
        Assert.Equal(["nlp", null, "vision"], (await Automations.ListTeamAsync(_team.Member, _team.Slug)).Select(a => a.Project));
        Assert.Equal(["Team deploy"], await Names(new(Scope: AutomationFilter.TeamScope)));
        Assert.Equal(["NLP corpus", "Vision eval"], await Names(new(Scope: AutomationFilter.ProjectScope)));
        Assert.Equal(["Vision eval"], await Names(new(Project: "vision")));
        Assert.Equal(["NLP corpus"], await Names(new(Enabled: false)));
        Assert.Equal(["Team deploy"], await Names(new(Search: "DEPLOY")));
        Assert.Empty(await Names(new(ActionType: "job")));
        Assert.Equal("scope", (await Assert.ThrowsAsync<InputException>(() => Names(new(Scope: "galaxy")))).Field);
    }

    [Fact]
    public async Task Deleting_something_automations_use_names_them_first()
    {
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        await Automations.CreateAsync(_team.Member, _team.Slug, "vision", Input("Vision eval", collection: "eval-set"));
        await Automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Team deploy"));

        var said = await Automations.UsedByAsync(_team.Admin, _team.Slug, new AutomationUse(WebhookId: _webhookId));

        Assert.StartsWith(" These 2 automations use it and will show as Broken:", said);
        Assert.Contains("vision/Vision eval", said);
        Assert.Contains("Team deploy (team-wide)", said);
        Assert.Equal("", await Automations.UsedByAsync(_team.Admin, _team.Slug, new AutomationUse(Job: "no-such-job")));
        Assert.Equal("", await Automations.UsedByAsync(_team.Admin, _team.Slug, new AutomationUse(Secret: "NOT_USED")));
    }
}
