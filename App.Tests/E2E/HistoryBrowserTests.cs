using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class HistoryBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    private LoopbackReceiver _receiver = null!;
    private int _automationId;
    private int _status = 404;

    protected override async Task BeforeAsync()
    {
        _receiver = await LoopbackReceiver.StartAsync();
        _receiver.Respond = async context =>
        {
            context.Response.StatusCode = _status;
            await context.Response.WriteAsync($"receiver answered {_status}");
        };
    }

    protected override async Task ArrangeAsync(IServiceProvider services)
    {
        var hook = await services.GetRequiredService<WebhookService>().CreateAsync(Team.Admin, Team.Slug, new WebhookInput("CI", _receiver.Url("/ci"), null, null));
        var artifacts = services.GetRequiredService<ArtifactService>();
        await artifacts.CreateProjectAsync(Team.Admin, Team.Slug, "vision", null);
        await artifacts.CreateCollectionAsync(Team.Admin, Team.Slug, "vision", "eval-set", "dataset", null);
        _automationId = (await services.GetRequiredService<AutomationService>().CreateAsync(Team.Member, Team.Slug, "vision", new AutomationInput(
            "Build", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, hook.Id, PayloadPresets.Default.Template))).Summary.Id;
        // Delivered by the app's own Hangfire workers; the receiver says 404, so the run fails at once.
        await artifacts.LogVersionAsync(Team.Member, Team.Slug, "vision", "eval-set", new LogVersionRequest("first"));
    }

    protected override async ValueTask AfterAsync() => await _receiver.DisposeAsync();

    /// <summary>Long enough for a delivery by the app's workers on a busy machine; the page must change without a click.</summary>
    private static readonly LocatorAssertionsToHaveTextOptions Live = new() { Timeout = 20_000 };

    [Fact]
    public async Task Member_sees_a_failed_delivery_with_its_attempt_and_redelivers_it_and_the_open_run_updates_by_itself()
    {
        // A viewer in India: times are shown in their zone, with it.
        var page = await SignedInAsync(Team.Member, timeZone: "Asia/Kolkata");
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/projects/vision/automations/{_automationId}");

        var status = page.Locator("[data-testid=runs-table] [data-testid=run-status]").First;
        await Expect(status).ToHaveTextAsync("Failed", Live);
        await Expect(page.Locator("[data-testid=runs-table] time").First).ToContainTextAsync("UTC+5:30");
        await page.Locator("[data-testid=runs-table] tbody tr").First.ClickAsync();
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("receiver answered 404");
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("webhook-id");

        _status = 200;
        await page.ClickAsync("[data-testid=redeliver]");
        // No refresh, no collapse and expand: the run and its open attempts follow the delivery.
        await Expect(status).ToHaveTextAsync("Succeeded", Live);
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("Attempt 2 (redelivery)", new() { Timeout = 20_000 });
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("receiver answered 200");
        Assert.Equal(2, _receiver.Received.Count);
        Assert.Single(_receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct());

        // The browser's zone is remembered: the next page's first HTML, before it is live, is already in it.
        var html = System.Net.WebUtility.HtmlDecode(await (await page.Context.APIRequest.GetAsync($"/teams/{Team.Slug}/projects/vision/automations/{_automationId}")).TextAsync());
        Assert.Matches(@"\d\d:\d\d<span[^>]*>\s*UTC\+5:30</span></time>", html);

        // The project-wide history shows the same run.
        await page.ClickAsync("a:has-text('History')");
        await Expect(page.Locator("[data-testid=runs-table]")).ToContainTextAsync("Build");
    }
}
