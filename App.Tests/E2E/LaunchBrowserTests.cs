using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Automations.Tests.E2E;

[Collection(BrowserCollection.Name)]
public class LaunchBrowserTests(BrowserFixture browser) : BrowserTest(browser)
{
    protected override async Task ArrangeAsync(IServiceProvider services)
    {
        var artifacts = services.GetRequiredService<ArtifactService>();
        await artifacts.CreateProjectAsync(Team.Admin, Team.Slug, "vision", null);
        await artifacts.LogVersionAsync(Team.Admin, Team.Slug, "vision", "model", new LogVersionRequest(Type: "model"));
    }

    [Fact]
    public async Task Admin_sets_up_a_job_and_queue_member_automates_it_and_the_queued_run_can_be_cancelled()
    {
        // The admin creates a queue and a job in the Launch section.
        var admin = await SignedInAsync(Team.Admin);
        await Pages.GotoLiveAsync(admin, $"/teams/{Team.Slug}/launch/queues");
        await admin.ClickAsync("[data-testid=new-queue]");
        await admin.FillAsync("input[data-testid=queue-name]", "gpu");
        await admin.ClickAsync("[data-testid=queue-save]");
        await Expect(admin.Locator("[data-testid=queues-table]")).ToContainTextAsync("local-process");

        await Pages.GotoLiveAsync(admin, $"/teams/{Team.Slug}/launch/jobs");
        await admin.ClickAsync("[data-testid=new-job]");
        await admin.FillAsync("input[data-testid=job-name]", "retrain");
        await admin.FillAsync("input[data-testid=job-program]", "python");
        await admin.FillAsync("textarea[data-testid=job-arguments]", "train.py");
        await admin.FillAsync("textarea[data-testid=job-config]", "{\"epochs\": 3, \"learning_rate\": 0.1}");
        await admin.ClickAsync("[data-testid=job-save]");
        await Expect(admin.Locator("[data-testid=jobs-table]")).ToContainTextAsync("retrain");

        // A member builds "alias production → launch retrain on gpu" with the wizard.
        var member = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(member, $"/teams/{Team.Slug}/projects/vision/automations/new");
        await member.ClickAsync("label.mud-radio:has-text('An artifact alias is added')");
        await member.FillAsync("input[data-testid=alias-pattern]", "production");
        await member.ClickAsync("label.mud-radio:has-text('Jobs')");
        await member.ClickAsync("[data-testid=wizard-next]");
        await member.Locator(".monaco-editor").First.WaitForAsync();
        await Expect(member.Locator("[data-testid=config-preview]")).ToContainTextAsync("\"epochs\": 3");
        await Expect(member.Locator("[data-testid=config-preview]")).ToContainTextAsync($"{Team.Slug}/vision/model:");
        await member.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "automations-wizard-jobs.png"), FullPage = true });
        await member.ClickAsync("[data-testid=wizard-next]");
        await member.FillAsync("input[data-testid=automation-name]", "Retrain on production");
        await member.ClickAsync("[data-testid=wizard-save]");
        await member.WaitForURLAsync(url => url.Contains("/automations?saved="));
        var row = member.Locator("[data-testid=automations-table] tbody tr:has-text('Retrain on production')");
        await Expect(row).ToContainTextAsync("retrain:latest");
        await Expect(row).ToContainTextAsync("gpu");

        // Adding the alias queues a launch run; the queue page shows it and the member cancels it.
        using (var scope = App.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<ArtifactService>().AddAliasAsync(Team.Member, Team.Slug, "vision", "model", "v0", "production");
        }

        await Pages.GotoLiveAsync(member, $"/teams/{Team.Slug}/launch/queues/gpu");
        var run = member.Locator("[data-testid=launch-runs-table] tbody tr").First;
        await Expect(run.Locator("[data-testid=launch-status]")).ToHaveTextAsync("Queued", new() { Timeout = 20_000 });
        await Expect(run).ToContainTextAsync("retrain:v0");
        await run.Locator("[data-testid=cancel-run]").ClickAsync();
        await Expect(run.Locator("[data-testid=launch-status]")).ToHaveTextAsync("Cancelled");
        await Expect(member.Locator("[data-testid=queue-summary]")).ToContainTextAsync("0 queued");
        await member.ScreenshotAsync(new() { Path = Path.Combine(Path.GetTempPath(), "launch-queue.png"), FullPage = true });

        using (var scope = App.Services.CreateScope())
        {
            var runs = await scope.ServiceProvider.GetRequiredService<LaunchRunService>().ListRunsAsync(Team.Member, Team.Slug, "gpu", null);
            var stored = Assert.Single(runs.Items);
            Assert.Equal(LaunchRunStatus.Cancelled, stored.Status);
            Assert.NotNull(stored.AutomationId);
        }
    }

    [Fact]
    public async Task Leaving_the_launch_page_by_reload_or_by_url_logs_no_error()
    {
        var page = await SignedInAsync(Team.Member);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/launch/queues");
        await page.ClickAsync(".mud-tab:has-text('Agents')");
        await page.WaitForURLAsync(url => url.EndsWith("/launch/agents"));

        await page.ReloadAsync();
        await Pages.WaitForCircuitAsync(page);
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}");
        await Pages.GotoLiveAsync(page, $"/teams/{Team.Slug}/launch/jobs");
        await page.GotoAsync("about:blank");
        await Task.Delay(1500);

        // What the pages and their circuits log (the shared app's background jobs may log about other tests' teams meanwhile).
        string[] ui = [" Microsoft.AspNetCore.Components", " Microsoft.AspNetCore.Diagnostics", " MudBlazor", " Automations.Components", " Automations.Features.Launch.Launch"];
        var noise = LogsOfThisTest().Where(line => ui.Any(line.Contains) && (line.Contains(" Error:") || line.Contains(" Warning:") || line.Contains("Exception")))
            .ToList();
        Assert.True(noise.Count == 0, string.Join("\n", noise));
    }
}
