using Automations.Tests.TestInfrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

/// <summary>
/// An admin connects a Slack channel (a fake Slack on 127.0.0.1) and tests it; a member builds a Slack notification with
/// the wizard and a new version posts it; the admin makes a team-wide automation from the team's Automations page.
/// </summary>
[Collection(BrowserCollection.Name)]
public class SlackBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    private FakeSlack _slack = null!;

    protected override async Task BeforeAsync() => _slack = await FakeSlack.StartAsync();

    protected override async ValueTask AfterAsync() => await _slack.DisposeAsync();

    protected override Task ArrangeAsync(IServiceProvider services) => services.WizardReadyProjectAsync(Team);

    [Fact]
    public async Task Admin_connects_slack_member_builds_a_slack_notification_and_a_new_version_posts_it()
    {
        // Team Settings → Slack → New Slack integration → name, channel, webhook URL → Save → Test.
        var admin = await SignedInAsync(Team.Admin);
        await Pages.GotoLiveAsync(admin, $"/teams/{Team.Slug}/settings");
        await admin.ClickAsync(".mud-tab:has-text('Slack')");
        await admin.ClickAsync("[data-testid=new-slack]");
        await admin.FillAsync("input[data-testid=slack-name]", "alerts");
        await admin.FillAsync("input[data-testid=slack-channel]", "#ml-alerts");
        await admin.FillAsync("input[data-testid=slack-credential]", _slack.WebhookUrl);
        await admin.ClickAsync("[data-testid=slack-save]");
        var row = admin.Locator("[data-testid=slack-table] tbody tr:has-text('alerts')");
        await Expect(row).ToContainTextAsync("/services/••••");
        Assert.DoesNotContain("s3cr3t", await admin.ContentAsync());
        await admin.ClickAsync("button[aria-label='Actions for alerts']");
        await admin.ClickAsync(".mud-popover-open .mud-menu-item:has-text('Test')");
        await Expect(admin.Locator(".mud-snackbar:has-text('Slack took the test message')")).ToBeVisibleAsync();
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-slack-settings.png"), FullPage = true });

        // The member's wizard: Slack notification → the integration, a title and text with variables, a rendered preview.
        var member = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(member, $"/teams/{Team.Slug}/projects/vision/automations/new");
        await member.ClickAsync("label.mud-radio:has-text('Slack notification')");
        await member.ClickAsync("[data-testid=wizard-next]");
        await Pages.ChooseAsync(member, "Slack integration", "alerts");
        await member.FillAsync("input[data-testid=slack-title]", "Eval set ${artifact_version_string} is in");
        await Expect(member.Locator("[data-testid=slack-preview]")).ToContainTextAsync($"Eval set {Team.Slug}/vision/eval-set:v0 is in");
        await Expect(member.Locator("[data-testid=slack-preview]")).ToContainTextAsync("#ml-alerts");
        await member.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-wizard-slack.png"), FullPage = true });
        await member.ClickAsync("[data-testid=wizard-next]");
        await member.FillAsync("input[data-testid=automation-name]", "Tell the channel");
        await member.ClickAsync("[data-testid=wizard-save]");
        await member.WaitForURLAsync(url => url.Contains("/automations?saved="));
        var automation = member.Locator("[data-testid=automations-table] tbody tr:has-text('Tell the channel')");
        await Expect(automation).ToContainTextAsync("Slack");
        await Expect(automation).ToContainTextAsync("alerts (#ml-alerts)");

        // A new version: the engine posts the rendered message to the channel.
        await App.Services.LogVersionAsync(Team);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (_slack.Posted.Count < 2 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        var posted = _slack.Posted.Last();
        Assert.Equal($"Eval set {Team.Slug}/vision/eval-set:v1 is in", posted.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Admin_creates_a_team_wide_automation_from_the_team_automations_page_and_filters_the_list()
    {
        var admin = await SignedInAsync(Team.Admin);
        await Pages.GotoLiveAsync(admin, $"/teams/{Team.Slug}/automations");
        await admin.ClickAsync("[data-testid=new-team-automation]");
        await Pages.WaitForCircuitAsync(admin);
        await Expect(admin.Locator("[data-testid=team-scope-note]")).ToContainTextAsync("every project of the team");
        await Expect(admin.Locator("[data-testid=collection]")).ToHaveCountAsync(0);
        await admin.ClickAsync("[data-testid=wizard-next]");
        await admin.Locator(".monaco-editor").First.WaitForAsync();
        await Expect(admin.Locator("[data-testid=preview]")).ToContainTextAsync($"{Team.Slug}/vision/eval-set:v0");
        await Pages.ChooseAsync(admin, "Webhook", "Slack alerts");
        await admin.ClickAsync("[data-testid=wizard-next]");
        await admin.FillAsync("input[data-testid=automation-name]", "Every new version");
        await admin.ClickAsync("[data-testid=wizard-save]");
        await admin.WaitForURLAsync(url => url.Contains($"/teams/{Team.Slug}/automations?saved="));

        var row = admin.Locator("[data-testid=automations-table] tbody tr:has-text('Every new version')");
        await Expect(row.Locator("[data-testid=scope]")).ToContainTextAsync("Team-wide");
        await Expect(row).ToContainTextAsync("New version in any collection of the team");
        await admin.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-team.png"), FullPage = true });

        // The project's own page points at it; a member sees it on the team page but cannot change it.
        var member = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(member, $"/teams/{Team.Slug}/projects/vision/automations");
        await Expect(member.Locator("[data-testid=team-wide-note]")).ToContainTextAsync("1 team-wide automation also watches");
        await Pages.GotoLiveAsync(member, $"/teams/{Team.Slug}/automations");
        await Expect(member.Locator("[data-testid=automations-table]")).ToContainTextAsync("Every new version");
        await Expect(member.Locator("[data-testid=new-team-automation]")).ToHaveCountAsync(0);
        await Expect(member.Locator("button[aria-label='Actions for Every new version']")).ToHaveCountAsync(0);
        await member.FillAsync("input[data-testid=filter-search]", "nothing like it");
        await Expect(member.Locator("[data-testid=automations-table]")).ToContainTextAsync("No automation matches these filters.");
    }
}
