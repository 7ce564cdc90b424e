using Automations.Features.Automations;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class AutomationsBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    protected override Task ArrangeAsync(IServiceProvider services) => services.WizardReadyProjectAsync(Team);

    [Fact]
    public async Task Member_creates_a_slack_automation_with_the_wizard_then_disables_and_deletes_it()
    {
        var page = await SignedInAsync(Team.Member);
        var automations = $"/teams/{Team.Slug}/projects/vision/automations";
        await Pages.GotoLiveAsync(page, automations);

        await page.ClickAsync("[data-testid=new-automation]");
        await Pages.WaitForCircuitAsync(page);

        // Step 1: new version in eval-set (preselected), Webhooks.
        await Expect(page.Locator("[data-testid=wizard]")).ToContainTextAsync("A new version of an artifact is created in a collection");
        await Expect(page.Locator(".mud-select:has-text('Artifact collection')").First).ToContainTextAsync("eval-set");
        await page.ClickAsync("[data-testid=wizard-next]");

        // Step 2: the Slack preset in the Monaco editor, rendered in the preview.
        await page.Locator(".monaco-editor").First.WaitForAsync();
        await page.ClickAsync("[data-testid='preset-Slack']");
        await Expect(page.Locator("[data-testid=preview]")).ToContainTextAsync("\"divider\"");
        await Expect(page.Locator("[data-testid=preview]")).ToContainTextAsync($"{Team.Slug}/vision/eval-set:v0");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-wizard.png"), FullPage = true });

        // No webhook is chosen for the member: Next says so, then the member picks one.
        await page.ClickAsync("[data-testid=wizard-next]");
        await Expect(page.Locator("[data-testid=wizard]")).ToContainTextAsync("Choose one of the team's webhooks.");
        await Pages.ChooseAsync(page, "Webhook", "Slack alerts");
        await page.ClickAsync("[data-testid=wizard-next]");

        // Step 3: name → Create automation.
        await page.FillAsync("input[data-testid=automation-name]", "Notify Slack");
        await page.ClickAsync("[data-testid=wizard-save]");
        await page.WaitForURLAsync(url => url.Contains("/automations?saved="));

        var row = page.Locator("[data-testid=automations-table] tbody tr:has-text('Notify Slack')");
        await Expect(row).ToContainTextAsync("LINK_ARTIFACT");
        await Expect(row).ToContainTextAsync("New version in eval-set");
        await Expect(row).ToContainTextAsync("Webhook");
        await Expect(row).ToContainTextAsync("Slack alerts");
        await Expect(row.Locator("[data-testid=enabled]")).ToHaveTextAsync("Enabled");
        await page.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-list.png"), FullPage = true });

        using (var scope = App.Services.CreateScope())
        {
            var stored = (await scope.ServiceProvider.GetRequiredService<AutomationService>().ListAsync(Team.Member, Team.Slug, "vision")).Single();
            var detail = await scope.ServiceProvider.GetRequiredService<AutomationService>().GetAsync(Team.Member, Team.Slug, "vision", stored.Id);
            Assert.Equal(PayloadPresets.Slack.Template, detail.PayloadTemplate);
        }

        // ⋮ → Disable.
        await page.ClickAsync("button[aria-label='Actions for Notify Slack']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Disable')");
        await Expect(row.Locator("[data-testid=enabled]")).ToHaveTextAsync("Disabled");

        // ⋮ → Delete → confirm.
        await page.ClickAsync("button[aria-label='Actions for Notify Slack']");
        await page.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Delete')");
        await page.ClickAsync(".mud-dialog button:has-text('Delete')");
        await Expect(page.Locator("[data-testid=automations-table]")).Not.ToContainTextAsync("Notify Slack");
        await Expect(page.Locator("[data-testid=automations-table]")).ToContainTextAsync("No automations yet");
    }

    [Fact]
    public async Task Variable_chips_insert_at_the_end_before_the_editor_had_focus_then_where_the_cursor_was_and_select_the_metadata_key()
    {
        var page = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/projects/vision/automations/new");
        await page.ClickAsync("[data-testid=wizard-next]");
        await page.Locator(".monaco-editor").First.WaitForAsync();
        var template = PayloadPresets.Default.Template;
        await WaitForEditorAsync(page, text => text == template);

        // Never focused: Monaco's cursor sits at 1:1, before the brace. The chip goes to the end instead.
        await page.Locator("[data-testid=variables] .mud-chip:has-text('${event_author}')").ClickAsync();
        await WaitForEditorAsync(page, text => text == template + "${event_author}");
        // The chip gives the editor focus (after the edit): undo goes to the editor once it has it.
        await page.WaitForFunctionAsync("() => monaco.editor.getEditors()[0].hasTextFocus()");
        await page.Keyboard.PressAsync("Control+Z");
        await WaitForEditorAsync(page, text => text == template);

        // The user puts the cursor inside the first value, before its closing quote, then clicks away (the editor loses focus).
        await page.Locator(".monaco-editor .view-lines").ClickAsync();
        await page.Keyboard.PressAsync("Control+Home");
        await page.Keyboard.PressAsync("ArrowDown");
        await page.Keyboard.PressAsync("End");
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Keyboard.PressAsync("ArrowLeft");
        await page.Locator("text=Insert at the cursor").ClickAsync();

        // The metadata chip lands there with KEY selected: typing the key's name replaces it.
        await page.Locator("[data-testid=metadata-chip]").ClickAsync();
        await WaitForEditorAsync(page, text => text.Contains("\"${event_type}${artifact_metadata.KEY}\","));
        await page.WaitForFunctionAsync("() => { const e = monaco.editor.getEditors()[0]; return e.hasTextFocus() && e.getModel().getValueInRange(e.getSelection()) === 'KEY'; }");
        await page.Keyboard.TypeAsync("accuracy");
        await WaitForEditorAsync(page, text => text == template.Replace("\"${event_type}\",", "\"${event_type}${artifact_metadata.accuracy}\","));
        await Expect(page.Locator("[data-testid=preview]")).ToContainTextAsync("LINK_ARTIFACT");
    }

    /// <summary>What Monaco holds (the page has one editor), polled until it satisfies <paramref name="expected"/>.</summary>
    private static async Task WaitForEditorAsync(IPage page, Func<string, bool> expected)
    {
        var text = "";
        for (var i = 0; i < 100; i++)
        {
            text = await page.EvaluateAsync<string>("() => monaco.editor.getEditors()[0].getValue()");
            if (expected(text))
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The editor holds:\n{text}");
    }
}
