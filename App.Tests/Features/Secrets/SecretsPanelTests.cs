using Automations.Features.Secrets;
using Automations.Features.Teams;
using Automations.Tests.TestInfrastructure;
using Bunit;

namespace Automations.Tests.Features.Secrets;

public class SecretsPanelTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "EXISTING", "existing-value-xyz");
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private async Task<TeamAccess> AccessOf(Automations.Infrastructure.Actor actor) =>
        await _services.Get<TeamService>().GetAccessAsync(actor, _team.Slug);

    [Fact]
    public async Task Member_sees_names_but_no_management_controls()
    {
        await using var ctx = new AppTestContext(_services, _team.Member);
        var access = await AccessOf(_team.Member);

        var panel = ctx.Render<SecretsPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Member));

        panel.WaitForAssertion(() => Assert.Contains("EXISTING", panel.Markup));
        Assert.DoesNotContain("New secret", panel.Markup);
        Assert.Empty(panel.FindAll("button[aria-label^='Actions for']"));
        Assert.DoesNotContain("existing-value-xyz", panel.Markup);
    }

    [Fact]
    public async Task Admin_creates_a_secret_through_the_dialog_and_the_value_is_not_rendered()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = ctx.RenderProviders();
        var access = await AccessOf(_team.Admin);
        var panel = ctx.Render<SecretsPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin));
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("button[aria-label='Actions for EXISTING']")));

        // Not awaited: the handler waits for the dialog to close.
        _ = panel.Find("button:contains('New secret')").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=secret-name]")));
        await providers.Find("input[data-testid=secret-name]").ChangeAsync(new() { Value = "DEPLOY_KEY" });
        await providers.Find("input[data-testid=secret-value]").ChangeAsync(new() { Value = "dk-very-secret-123" });
        await providers.Find("button:contains('Save')").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("DEPLOY_KEY", panel.Markup));
        Assert.DoesNotContain("dk-very-secret-123", panel.Markup);
        Assert.DoesNotContain("dk-very-secret-123", providers.Markup);
        Assert.Contains("DEPLOY_KEY", (await _services.Get<SecretService>().ListAsync(_team.Admin, _team.Slug)).Select(s => s.Name));
    }

    [Fact]
    public async Task Invalid_name_shows_the_rule_next_to_the_field_and_keeps_the_dialog_open()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = ctx.RenderProviders();
        var access = await AccessOf(_team.Admin);
        var panel = ctx.Render<SecretsPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin));

        // Not awaited: the handler waits for the dialog to close.
        _ = panel.Find("button:contains('New secret')").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=secret-name]")));
        await providers.Find("input[data-testid=secret-name]").ChangeAsync(new() { Value = "bad-name" });
        await providers.Find("input[data-testid=secret-value]").ChangeAsync(new() { Value = "v" });
        await providers.Find("button:contains('Save')").ClickAsync(new());

        providers.WaitForAssertion(() => Assert.Contains("letters, digits and underscores", providers.Markup));
        Assert.Single(await _services.Get<SecretService>().ListAsync(_team.Admin, _team.Slug));
    }
}
