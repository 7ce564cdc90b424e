using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Bunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Features.Dispatch;

public class HistoryComponentTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private LoopbackReceiver _receiver = null!;
    private int _webhookId;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _services.Resolver.Map("localhost", "127.0.0.1");
        _team = await _services.CreateTeamAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        _webhookId = (await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Receiver", _receiver.Url(), null, null))).Id;
        await _services.Get<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await _services.Get<ArtifactService>().CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", new AutomationInput(
            "Notify", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, _webhookId, PayloadPresets.Default.Template));
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _services.DisposeAsync();
    }

    private async Task<long> DeliverAsync(int status)
    {
        _receiver.Respond = async context =>
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsync($"receiver said {status}");
        };
        await _services.Get<ArtifactService>().LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest());
        var runId = _services.Queue.Enqueued.Last();
        await _services.DeliverAsync(runId);
        return runId;
    }

    [Fact]
    public async Task Runs_show_their_attempts_filter_by_status_and_can_be_redelivered()
    {
        var failed = await DeliverAsync(404);
        await DeliverAsync(200);
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();
        var access = await _services.Get<ArtifactService>().GetProjectAsync(_team.Member, _team.Slug, "vision");

        var table = ctx.Render<RunsTable>(p => p.Add(x => x.Access, access));
        table.WaitForAssertion(() => Assert.Equal(2, table.FindAll("[data-testid=run-status]").Count));
        Assert.Equal(["Succeeded", "Failed"], table.FindAll("[data-testid=run-status]").Select(e => e.TextContent.Trim()));

        await table.FindAll("tbody tr").Single(r => r.TextContent.Contains($"#{failed}")).ClickAsync(new());
        table.WaitForAssertion(() => Assert.Contains("receiver said 404", table.Find("[data-testid=run-attempts]").TextContent));
        Assert.Contains("webhook-id", table.Find("[data-testid=run-attempts]").TextContent);

        await table.FindAll("[data-testid=redeliver]").Last().ClickAsync(new());
        Assert.Equal(failed, _services.Queue.Enqueued.Last());
        table.WaitForAssertion(() => Assert.Contains("Pending", table.Markup));
    }

    [Fact]
    public async Task Team_settings_show_a_disabled_webhook_with_its_reason_and_admins_re_enable_it()
    {
        await DeliverAsync(410);
        await using var ctx = new AppTestContext(_services, _team.Admin);
        ctx.RenderProviders();
        var access = await _services.Get<TeamService>().GetAccessAsync(_team.Admin, _team.Slug);

        var panel = ctx.Render<WebhooksPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Admin));
        panel.WaitForAssertion(() => Assert.NotNull(panel.Find("[data-testid=webhook-disabled]")));
        Assert.Contains("410 Gone", panel.Markup);

        await panel.Find("[data-testid=webhook-reenable]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid=webhook-disabled]")));
        Assert.False((await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single().Disabled);
    }

    [Fact]
    public async Task Members_see_a_disabled_webhook_but_no_re_enable_button()
    {
        await DeliverAsync(410);
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();
        var access = await _services.Get<TeamService>().GetAccessAsync(_team.Member, _team.Slug);

        var panel = ctx.Render<WebhooksPanel>(p => p.Add(x => x.Access, access).Add(x => x.Actor, _team.Member));

        panel.WaitForAssertion(() => Assert.NotNull(panel.Find("[data-testid=webhook-disabled]")));
        Assert.Empty(panel.FindAll("[data-testid=webhook-reenable]"));
    }

    [Fact]
    public async Task A_webhooks_deliveries_page_lists_its_runs_and_an_admin_recovers_the_failed_ones()
    {
        var failed = await DeliverAsync(404);
        await DeliverAsync(200);
        _receiver.Respond = async context => await context.Response.WriteAsync("back");
        await using var ctx = new AppTestContext(_services, _team.Admin);
        ctx.RenderProviders();

        var page = ctx.Render<WebhookDeliveriesPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Id, _webhookId));
        page.WaitForAssertion(() => Assert.Equal(["Succeeded", "Failed"], page.FindAll("[data-testid=delivery-status]").Select(e => e.TextContent.Trim())));
        Assert.Contains("vision / Notify", page.Markup);

        await page.Find("[data-testid=recover]").ClickAsync(new());

        Assert.Equal(failed, _services.Queue.Scheduled.Last().RunId);
        page.WaitForAssertion(() => Assert.Equal(["Succeeded", "Pending"], page.FindAll("[data-testid=delivery-status]").Select(e => e.TextContent.Trim())));
    }

    [Fact]
    public async Task Members_see_a_webhooks_deliveries_but_cannot_recover()
    {
        await DeliverAsync(404);
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();

        var page = ctx.Render<WebhookDeliveriesPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Id, _webhookId));

        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=delivery-status]")));
        Assert.Empty(page.FindAll("[data-testid=recover]"));
    }
}
