using Microsoft.Playwright;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class AuditBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    [Fact]
    public async Task A_change_made_in_the_browser_shows_in_the_audit_log_with_the_session_address_and_browser()
    {
        var page = await SignedInAsync(Team.Admin);
        await page.GotoAsync($"/teams/{Team.Slug}/settings");
        await Pages.WaitForCircuitAsync(page);
        await page.ClickAsync("button:has-text('New secret')");
        await page.FillAsync("input[data-testid=secret-name]", "AUDITED");
        await page.FillAsync("input[data-testid=secret-value]", "e2e-audited-value");
        await page.ClickAsync(".mud-dialog button:has-text('Save')");
        await page.Locator("[data-testid=secrets-table] td:has-text('AUDITED')").WaitForAsync();

        await page.ClickAsync(".mud-tab:has-text('Audit log')");

        var row = page.Locator("[data-testid=audit-table] tr:has-text('secret.created')");
        await row.WaitForAsync();
        var text = await row.InnerTextAsync();
        Assert.Contains("AUDITED", text);
        Assert.Contains("session · 127.0.0.1", text);
        // The circuit's first request carried the browser's user agent.
        Assert.Contains("Chrome", text);
        Assert.DoesNotContain("e2e-audited-value", await page.ContentAsync());
    }
}
