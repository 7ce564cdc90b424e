using System.Text.Json.Nodes;
using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Automations.Tests.E2E;

/// <summary>
/// Not a check: every page, in both themes at 1280 and 1920 px, into the folder AUTOMATIONS_SCREENSHOTS names, for
/// people to look at (README, "UI"). Skipped unless that variable is set.
/// </summary>
[Collection(BrowserCollection.Name)]
public class Screenshots(BrowserFixture browser) : BrowserTest(browser)
{
    private LoopbackReceiver _receiver = null!;
    private long _launchRun;
    private int _automation;
    private int _webhook;

    protected override async Task BeforeAsync() => _receiver = await LoopbackReceiver.StartAsync();

    protected override async Task ArrangeAsync(IServiceProvider services)
    {
        await services.GetRequiredService<SecretService>().CreateAsync(Team.Admin, Team.Slug, "SIGNING_SECRET_FOR_CI", "x");
        var s = await services.WebhookAutomationAsync(Team, _receiver.Url("/hook/with/a/rather/long/path/that/keeps/going"), secretName: "SIGNING_SECRET_FOR_CI");
        (_automation, _webhook) = (s.AutomationId, s.WebhookId);
        var artifacts = services.GetRequiredService<ArtifactService>();
        for (var i = 0; i < 3; i++)
        {
            await artifacts.LogVersionAsync(Team.Member, Team.Slug, "vision", "eval-set", new LogVersionRequest($"version {i}",
                Metadata: System.Text.Json.JsonDocument.Parse("{\"accuracy\": 0.9, \"loss\": 0.1}").RootElement, Aliases: ["production"]));
        }

        await services.GetRequiredService<JobService>().CreateJobAsync(Team.Admin, Team.Slug, new JobInput("train", "Fine-tune the model", new JobVersionInput("python", ["train.py", "--epochs", "3"], DefaultConfig: new JsonObject { ["epochs"] = 3 })));
        await services.GetRequiredService<QueueService>().CreateQueueAsync(Team.Admin, Team.Slug, new QueueInput("gpu"));
        await services.GetRequiredService<AgentService>().RegisterAgentAsync(Team.Admin, Team.Slug, new AgentRegistration("gpu", "gpu-box-1"));
        _launchRun = (await services.GetRequiredService<LaunchRunService>().LaunchAsync(Team.Member, Team.Slug, "gpu", new LaunchRequest("train", null, "vision"))).Id;
        await Task.Delay(2000);
    }

    protected override async ValueTask AfterAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Every_page_in_both_themes_at_1280_and_1920_px()
    {
        var folder = Environment.GetEnvironmentVariable("AUTOMATIONS_SCREENSHOTS");
        if (string.IsNullOrEmpty(folder))
        {
            Assert.Skip("set AUTOMATIONS_SCREENSHOTS=<folder> to take the screenshots");
        }

        var t = Team.Slug;
        var pages = new (string Name, string Url)[]
        {
            ("home", "/"), ("team", $"/teams/{t}"), ("team-automations", $"/teams/{t}/automations"),
            ("project", $"/teams/{t}/projects/vision"), ("collection", $"/teams/{t}/projects/vision/artifacts/eval-set"),
            ("version", $"/teams/{t}/projects/vision/artifacts/eval-set/v1"), ("activity", $"/teams/{t}/projects/vision/activity"),
            ("automations", $"/teams/{t}/projects/vision/automations"), ("automation", $"/teams/{t}/projects/vision/automations/{_automation}"),
            ("wizard", $"/teams/{t}/projects/vision/automations/new"), ("edit", $"/teams/{t}/projects/vision/automations/{_automation}/edit"),
            ("history", $"/teams/{t}/projects/vision/history"), ("settings", $"/teams/{t}/settings"),
            ("deliveries", $"/teams/{t}/settings/webhooks/{_webhook}"), ("launch-jobs", $"/teams/{t}/launch/jobs"),
            ("launch-queues", $"/teams/{t}/launch/queues"), ("launch-agents", $"/teams/{t}/launch/agents"),
            ("job", $"/teams/{t}/launch/jobs/train"), ("queue", $"/teams/{t}/launch/queues/gpu"), ("launch-run", $"/teams/{t}/launch/runs/{_launchRun}"),
            ("api-keys", "/settings/api-keys"), ("account", "/Account/Manage"), ("sign-in", "/Account/Login?ReturnUrl=%2F"),
        };
        Directory.CreateDirectory(folder);
        foreach (var dark in new[] { false, true })
        {
            foreach (var width in new[] { 1280, 1920 })
            {
                var context = await Browser.Browser!.NewContextAsync(new BrowserNewContextOptions
                {
                    BaseURL = Browser.BaseUrl, ViewportSize = new ViewportSize { Width = width, Height = 900 },
                    ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light, TimezoneId = "Europe/Berlin",
                });
                var page = await context.NewPageAsync();
                await Pages.SignInAsync(page, Team.Admin.UserName);
                foreach (var (name, url) in pages)
                {
                    if (url.StartsWith("/Account", StringComparison.Ordinal))
                    {
                        // Static pages (they set the sign-in cookie): no live circuit to wait for.
                        await page.GotoAsync(url);
                    }
                    else
                    {
                        await Pages.GotoLiveAsync(page, url);
                    }

                    await Task.Delay(name is "wizard" or "edit" ? 2500 : 1200);
                    await page.ScreenshotAsync(new() { Path = $"{folder}/{name}-{width}-{(dark ? "dark" : "light")}.png", FullPage = true });
                    if (name == "settings")
                    {
                        foreach (var tab in new[] { "Webhooks", "Slack", "Members", "Service keys", "Audit log" })
                        {
                            await page.ClickAsync($".mud-tab:has-text('{tab}')");
                            await Task.Delay(800);
                            await page.ScreenshotAsync(new() { Path = $"{folder}/settings-{tab.Replace(' ', '-').ToLowerInvariant()}-{width}-{(dark ? "dark" : "light")}.png", FullPage = true });
                        }
                    }

                    if (name == "wizard" && !dark && width == 1280)
                    {
                        await page.ClickAsync("[data-testid=wizard-next]");
                        await Task.Delay(2500);
                        await page.ScreenshotAsync(new() { Path = $"{folder}/wizard2-{width}-light.png", FullPage = true });
                    }
                }

                await context.CloseAsync();
            }
        }
    }
}
