using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Webhooks;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
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

    [Fact]
    public async Task Member_sees_a_failed_delivery_with_its_attempt_and_redelivers_it()
    {
        var page = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/projects/vision/automations/{_automationId}");

        var status = page.Locator("[data-testid=runs-table] [data-testid=run-status]").First;
        await WaitForStatusAsync(page, status, "Failed");
        await page.Locator("[data-testid=runs-table] tbody tr").First.ClickAsync();
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("receiver answered 404");
        await Expect(page.Locator("[data-testid=run-attempts]")).ToContainTextAsync("webhook-id");

        _status = 200;
        await page.ClickAsync("[data-testid=redeliver]");
        await WaitForStatusAsync(page, status, "Succeeded");
        Assert.Equal(2, _receiver.Received.Count);
        Assert.Single(_receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct());

        // The project-wide history shows the same run.
        await page.ClickAsync("a:has-text('History')");
        await Expect(page.Locator("[data-testid=runs-table]")).ToContainTextAsync("Build");
    }

    /// <summary>The list is not live: refresh it, as a user would, until the run reaches the status (bounded).</summary>
    private static async Task WaitForStatusAsync(Microsoft.Playwright.IPage page, Microsoft.Playwright.ILocator status, string expected)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await status.CountAsync() > 0 && await status.InnerTextAsync() == expected)
            {
                return;
            }

            await page.ClickAsync("button[aria-label='Refresh runs']");
            await Task.Delay(200);
        }

        await Expect(status).ToHaveTextAsync(expected);
    }
}
