using Automations.Tests.TestInfrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

/// <summary>The Content-Security-Policy must not break what the pages do: each page here runs with no violation reported.</summary>
[Collection(BrowserCollection.Name)]
public class SecurityHeadersBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    protected override Task ArrangeAsync(IServiceProvider services) => services.WizardReadyProjectAsync(Team);

    [Fact]
    public async Task The_automation_wizard_with_its_monaco_editor_runs_under_the_policy()
    {
        var (page, violations) = await WatchedPageAsync();
        await Pages.SignInAsync(page, Team.Member.UserName);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/projects/vision/automations");

        await page.ClickAsync("[data-testid=new-automation]");
        await Pages.WaitForCircuitAsync(page);
        await page.ClickAsync("[data-testid=wizard-next]");
        await page.Locator(".monaco-editor").First.WaitForAsync();
        await page.ClickAsync("[data-testid='preset-Slack']");
        await Expect(page.Locator("[data-testid=preview]")).ToContainTextAsync("\"divider\"");

        // Typing into the editor exercises Monaco's worker-backed JSON language service.
        await page.Locator(".monaco-editor textarea").First.FocusAsync();
        await page.Keyboard.PressAsync("End");
        await page.Keyboard.TypeAsync(" ");
        await page.WaitForTimeoutAsync(1000);

        var found = await violations();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task The_api_reference_runs_under_the_policy()
    {
        var (page, violations) = await WatchedPageAsync();

        await page.GotoAsync("/api/docs/");
        await Expect(page.Locator("body")).ToContainTextAsync("Automations API", new() { Timeout = 15_000 });
        await page.WaitForTimeoutAsync(1000);

        var found = await violations();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task The_hangfire_dashboard_runs_under_the_policy()
    {
        var (root, _) = await App.CreateUserAsync($"root{Guid.NewGuid():N}"[..12]);
        await App.Services.MakeInstanceAdminAsync(root.UserId);

        var (page, violations) = await WatchedPageAsync();
        await Pages.SignInAsync(page, root.UserName);

        await page.GotoAsync("/hangfire");
        await Expect(page.Locator("body")).ToContainTextAsync("Realtime", new() { Timeout = 15_000 });
        await page.WaitForTimeoutAsync(1000);

        var found = await violations();
        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    /// <summary>A page that records CSP violations (the DOM event) and the console's "Refused to ..." lines.</summary>
    private async Task<(IPage Page, Func<Task<IReadOnlyList<string>>> Violations)> WatchedPageAsync()
    {
        var page = await Browser.NewPageAsync();
        var console = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || message.Text.StartsWith("Refused to", StringComparison.Ordinal))
            {
                lock (console)
                {
                    console.Add(message.Text);
                }
            }
        };
        await page.AddInitScriptAsync("""
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
            """);

        return (page, async () =>
        {
            var events = await page.EvaluateAsync<string[]>("window.__cspViolations");
            lock (console)
            {
                return [.. events, .. console];
            }
        });
    }
}
