using Automations.Features.Artifacts;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class ArtifactsBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    protected override async Task ArrangeAsync(IServiceProvider services)
    {
        var artifacts = services.GetRequiredService<ArtifactService>();
        await artifacts.CreateProjectAsync(Team.Admin, Team.Slug, "vision", null);
        await artifacts.LogVersionAsync(Team.Admin, Team.Slug, "vision", "eval-set", new LogVersionRequest("first", Aliases: ["production"], Type: "dataset"));
        await artifacts.LogVersionAsync(Team.Admin, Team.Slug, "vision", "eval-set", new LogVersionRequest("second"));
    }

    [Fact]
    public async Task Member_moves_an_alias_and_sees_the_event_in_activity()
    {
        var page = await SignedInAsync(Team.Member);
        var project = $"/teams/{Team.Slug}/projects/vision";

        // The collection lists both versions, production on v0.
        await Pages.GotoLiveAsync(page, $"{project}/artifacts/eval-set");
        var v0Row = page.Locator("[data-testid=versions-table] tr:has(a:text-is('v0'))");
        await Expect(v0Row).ToContainTextAsync("production");

        // On v1: Add alias "production".
        await Pages.GotoLiveAsync(page, $"{project}/artifacts/eval-set/v1");
        await page.FillAsync("input[data-testid=new-alias]", "production");
        await page.ClickAsync("[data-testid=add-alias]");
        await Expect(page.Locator("[data-testid=version-aliases]")).ToContainTextAsync("production");

        // It moved: v0 no longer holds it.
        await Pages.GotoLiveAsync(page, $"{project}/artifacts/eval-set");
        await Expect(page.Locator("[data-testid=versions-table] tr:has(a:text-is('v1'))")).ToContainTextAsync("production");
        await Expect(page.Locator("[data-testid=versions-table] tr:has(a:text-is('v0'))")).Not.ToContainTextAsync("production");

        // Activity: newest first, the alias event by the member.
        await page.ClickAsync("a:has-text('Activity')");
        var firstRow = page.Locator("[data-testid=events-table] tbody tr").First;
        await Expect(firstRow).ToContainTextAsync("ADD_ARTIFACT_ALIAS");
        await Expect(firstRow).ToContainTextAsync("eval-set:v1");
        await Expect(firstRow).ToContainTextAsync("production");
        await Expect(firstRow).ToContainTextAsync(Team.Member.UserName);
        Assert.Equal(6, await page.Locator("[data-testid=events-table] tbody tr").CountAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-activity.png"), FullPage = true });
    }
}
