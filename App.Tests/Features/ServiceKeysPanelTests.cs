using Automations.Features.ApiKeys;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Bunit;

namespace Automations.Tests.Features;

public class ServiceKeysPanelTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private async Task<TeamAccess> AccessOf(Actor actor) => await _services.Get<TeamService>().GetAccessAsync(actor, _team.Slug);

    [Fact]
    public async Task Admin_creates_a_read_only_service_key_shown_once_and_revokes_it_after_confirming()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = ctx.RenderProviders();
        var access = await AccessOf(_team.Admin);
        var panel = ctx.Render<ServiceKeysPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin));

        await panel.Find("input[data-testid=service-key-name]").ChangeAsync(new() { Value = "dashboards" });
        await panel.Find("[data-testid=service-key-create]").ClickAsync(new());

        var key = panel.WaitForElement("[data-testid=service-key-value]").TextContent.Trim();
        var check = await _services.Get<ApiKeyService>().AuthenticateAsync(key);
        Assert.Equal((KeyPermission.Read, true), (check.Actor!.Key!.Permission, check.Actor.Key.IsServiceKey));
        Assert.Contains("dashboards", panel.Markup);
        Assert.Contains($"by {_team.Admin.UserName}", panel.Markup);

        // Not awaited: the handler waits for the confirmation.
        _ = panel.Find("button[aria-label='Revoke dashboards']").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("gets 401 from its next request", providers.Markup));
        await providers.Find("button:contains('Revoke')").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("revoked", panel.Markup));
        Assert.Contains("was revoked", (await _services.Get<ApiKeyService>().AuthenticateAsync(key)).Refusal);
        Assert.DoesNotContain(key, ctx.Render<ServiceKeysPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin)).Markup);
    }

    [Fact]
    public async Task Member_sees_the_teams_service_keys_but_cannot_create_or_revoke()
    {
        await _services.Get<ServiceKeyService>().CreateAsync(_team.Admin, _team.Slug, new ServiceKeyInput("ci", KeyPermission.Artifacts));
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();
        var access = await AccessOf(_team.Member);

        var panel = ctx.Render<ServiceKeysPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Member));

        panel.WaitForAssertion(() => Assert.Contains("Log artifacts", panel.Markup));
        Assert.Empty(panel.FindAll("[data-testid=service-key-create]"));
        Assert.Empty(panel.FindAll("button[aria-label='Revoke ci']"));
    }
}
