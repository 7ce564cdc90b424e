using Automations.Features.Audit;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Bunit;

namespace Automations.Tests.Features.Audit;

/// <summary>Team Settings → Audit log: a tab for admins only, listing the team's changes.</summary>
public class AuditPanelTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_audit_log_tab_is_there_for_admins_only(bool admin)
    {
        var actor = admin ? _team.Admin : _team.Member;
        await using var ctx = new AppTestContext(_services, actor);
        ctx.RenderProviders();

        var page = ctx.Render<TeamSettingsPage>(p => p.Add(x => x.Team, _team.Slug));

        page.WaitForAssertion(() => Assert.Contains("Members", page.Markup));
        Assert.Equal(admin, page.FindAll(".mud-tab").Any(t => t.TextContent.Trim() == "Audit log"));
    }

    [Fact]
    public async Task Admins_see_the_changes_with_who_made_them_and_from_where_and_filter_them()
    {
        await _services.Get<Automations.Features.Launch.QueueService>().CreateQueueAsync(
            _team.Admin with { Origin = new ActorOrigin("198.51.100.4", "Firefox", ActorOrigin.Session) }, _team.Slug, new Automations.Features.Launch.QueueInput("gpu"));
        await using var ctx = new AppTestContext(_services, _team.Admin);
        ctx.RenderProviders();
        var access = await _services.Get<TeamService>().GetAccessAsync(_team.Admin, _team.Slug);

        var panel = ctx.Render<AuditPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin));

        panel.WaitForAssertion(() => Assert.Equal(["queue.created", "member.added", "team.created"], panel.FindAll("[data-testid=audit-action]").Select(a => a.TextContent)));
        Assert.Contains("session · 198.51.100.4", panel.Markup);
        Assert.Contains("Firefox", panel.Markup);
        Assert.Contains(_team.Admin.UserName, panel.Markup);

        await panel.Find("input[data-testid=audit-actor]").ChangeAsync(new() { Value = "nobody" });

        panel.WaitForAssertion(() => Assert.Contains("No changes recorded that match these filters", panel.Markup));
        Assert.Empty(panel.FindAll("[data-testid=audit-action]"));
    }
}
