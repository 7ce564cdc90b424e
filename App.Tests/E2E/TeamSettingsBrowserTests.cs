using System.Text;
using Automations.Tests.TestInfrastructure;
using Automations.Features.Secrets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class TeamSettingsBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    private LoopbackReceiver _receiver = null!;

    protected override async Task BeforeAsync()
    {
        _receiver = await LoopbackReceiver.StartAsync();
        _receiver.Respond = async context =>
        {
            context.Response.StatusCode = 202;
            await context.Response.WriteAsync("{\"queued\":\"build-42\"}");
        };
    }


    protected override async ValueTask AfterAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Admin_creates_a_secret_and_a_webhook_then_tests_it_and_sees_the_response()
    {
        var page = await SignedInAsync(Team.Admin);
        await page.GotoAsync($"/teams/{Team.Slug}/settings");
        await Pages.WaitForCircuitAsync(page);

        // Team secrets → New secret → modal with name and value → Save.
        await page.ClickAsync("button:has-text('New secret')");
        await page.FillAsync("input[data-testid=secret-name]", "CI_SIGNING");
        await page.FillAsync("input[data-testid=secret-value]", "e2e-signing-secret");
        await page.ClickAsync(".mud-dialog button:has-text('Save')");
        await page.Locator("[data-testid=secrets-table] td:has-text('CI_SIGNING')").WaitForAsync();

        // Webhooks → New webhook → name, URL, secret from the dropdown → Save.
        await page.ClickAsync(".mud-tab:has-text('Webhooks')");
        await page.ClickAsync("button:has-text('New webhook')");
        await page.FillAsync("input[data-testid=webhook-name]", "Build trigger");
        await page.FillAsync("input[data-testid=webhook-url]", _receiver.Url("/build"));
        var secretSelect = page.Locator(".mud-dialog .mud-select:has-text('Secret (signs the payload)')").First;
        await secretSelect.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item:has-text('CI_SIGNING')").ClickAsync();
        await Microsoft.Playwright.Assertions.Expect(secretSelect.Locator("input").First).ToHaveValueAsync("CI_SIGNING");

        // Test, inside the create dialog, before saving: the webhook as entered, signed with the chosen secret.
        await page.ClickAsync("[data-testid=webhook-dialog-test]");
        await page.ClickAsync("[data-testid=test-send]");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-testid=test-result]")).ToContainTextAsync("202");
        Assert.Equal("/build", Assert.Single(_receiver.Received).Path);
        await page.ClickAsync(".mud-dialog:has([data-testid=test-result]) button:has-text('Close')");
        Assert.Equal(0, await page.Locator("[data-testid=webhooks-table] td:has-text('Build trigger')").CountAsync());

        await page.ClickAsync(".mud-dialog button:has-text('Save')");
        await page.Locator("[data-testid=webhooks-table] td:has-text('Build trigger')").WaitForAsync();

        // "…" → Test → Test webhook → the endpoint's response.
        await page.ClickAsync("button[aria-label='Actions for Build trigger']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Test')");
        await page.ClickAsync("[data-testid=test-send]");
        var result = page.Locator("[data-testid=test-result]");
        await result.WaitForAsync();
        Assert.Contains("202", await result.InnerTextAsync());
        Assert.Contains("build-42", await page.Locator("[data-testid=test-body]").InnerTextAsync());
        Assert.DoesNotContain("e2e-signing-secret", await page.ContentAsync());

        Assert.Equal(2, _receiver.Received.Count);
        var received = _receiver.Received.Last();
        Assert.Equal("/build", received.Path);
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            Encoding.UTF8.GetBytes("e2e-signing-secret"), received.Body));
        Assert.Equal(expected, received.Headers["X-Wandb-Signature"]);
        Assert.Contains("LINK_ARTIFACT", received.BodyText);
    }

    [Fact]
    public async Task Member_sees_no_management_controls()
    {
        var page = await SignedInAsync(Team.Member);
        await page.GotoAsync($"/teams/{Team.Slug}/settings");
        await Pages.WaitForCircuitAsync(page);

        await page.Locator("text=only team admins can change these settings").WaitForAsync();
        Assert.Equal(0, await page.Locator("button:has-text('New secret')").CountAsync());
        await page.ClickAsync(".mud-tab:has-text('Webhooks')");
        await page.Locator("[data-testid=webhooks-table]").WaitForAsync();
        Assert.Equal(0, await page.Locator("button:has-text('New webhook')").CountAsync());
        Assert.Equal(0, await page.Locator("button[aria-label^='Actions for']").CountAsync());
    }

    [Fact]
    public async Task Deleting_a_webhook_or_secret_that_automations_use_names_them_before_confirming()
    {
        using (var scope = App.Services.CreateScope())
        {
            var secrets = scope.ServiceProvider.GetRequiredService<SecretService>();
            await secrets.CreateAsync(Team.Admin, Team.Slug, "SIGNING", "s3cret-value");
            await secrets.CreateAsync(Team.Admin, Team.Slug, "API_TOKEN", "t0ken-value");
            await scope.ServiceProvider.WebhookAutomationAsync(Team, _receiver.Url("/hook"), template: "{\"token\": \"${API_TOKEN}\"}", secretName: "SIGNING");
        }

        var page = await SignedInAsync(Team.Admin);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/settings");

        // A secret a webhook signs with: deleting it would be refused, so the dialog says which webhook, and offers no Delete.
        var confirm = page.Locator(".mud-dialog");
        await page.ClickAsync("button[aria-label='Actions for SIGNING']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Delete')");
        await Microsoft.Playwright.Assertions.Expect(confirm).ToContainTextAsync("SIGNING signs or authenticates the webhook Receiver");
        Assert.Equal(0, await confirm.Locator("button:has-text('Delete')").CountAsync());
        await page.ClickAsync(".mud-dialog button:has-text('OK')");

        // A secret an automation's payload references: the automation is named, and said to become Broken.
        await page.ClickAsync("button[aria-label='Actions for API_TOKEN']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Delete')");
        await Microsoft.Playwright.Assertions.Expect(confirm).ToContainTextAsync("This automation uses it and will show as Broken: vision/Notify.");
        await page.ClickAsync(".mud-dialog button:has-text('Cancel')");
        await Microsoft.Playwright.Assertions.Expect(confirm).ToHaveCountAsync(0);

        await page.ClickAsync(".mud-tab:has-text('Webhooks')");
        await page.ClickAsync("button[aria-label='Actions for Receiver']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Delete')");
        await Microsoft.Playwright.Assertions.Expect(confirm).ToContainTextAsync("This automation uses it and will show as Broken: vision/Notify.");
        await page.ClickAsync(".mud-dialog button:has-text('Delete')");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-testid=webhooks-table]")).Not.ToContainTextAsync("Receiver");

        // The automation list says why it no longer runs.
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/projects/vision/automations");
        await Microsoft.Playwright.Assertions.Expect(page.Locator("[data-testid=automations-table] tr:has-text('Notify') [data-testid=broken]")).ToBeVisibleAsync();
    }
}
