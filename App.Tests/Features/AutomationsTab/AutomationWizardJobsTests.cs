using System.Text.Json.Nodes;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Tests.TestInfrastructure;
using Bunit;
using Microsoft.AspNetCore.Components;

namespace Automations.Tests.Features.AutomationsTab;

/// <summary>The wizard's Jobs branch: job, version, destination project, queue, overrides with a live effective configuration.</summary>
public class AutomationWizardJobsTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private AppTestContext _ctx = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
        var artifacts = _services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "training", null);
        await artifacts.LogVersionAsync(_team.Admin, _team.Slug, "vision", "model", new LogVersionRequest(Type: "model", Aliases: ["production"]));
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "HF_TOKEN", "hf-secret-value");
        var jobService = _services.Get<JobService>();
        var queueService = _services.Get<QueueService>();
        await jobService.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", null, new JobVersionInput("python", ["train.py"],
            DefaultConfig: new JsonObject { ["learning_rate"] = 0.1, ["epochs"] = 3 })));
        await queueService.CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu"));
        _ctx = new AppTestContext(_services, _team.Member);
        _ctx.RenderProviders();
    }

    public async ValueTask DisposeAsync()
    {
        await _ctx.DisposeAsync();
        await _services.DisposeAsync();
    }

    private async Task<IRenderedComponent<AutomationWizard>> ToJobStepAsync()
    {
        var wizard = _ctx.Render<AutomationWizard>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Project, "vision"));
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find("[data-testid=wizard-next]")));
        await wizard.FindAll("label.mud-radio").Single(l => l.TextContent.Contains("An artifact alias is added")).QuerySelector("input")!.ClickAsync(new());
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find("input[data-testid=alias-pattern]")));
        await wizard.Find("input[data-testid=alias-pattern]").ChangeAsync(new() { Value = "production" });
        await wizard.FindAll("label.mud-radio").Single(l => l.TextContent.Contains("Jobs")).QuerySelector("input")!.ClickAsync(new());
        Assert.Empty(wizard.FindAll("[data-testid=action-unavailable]"));
        await wizard.Find("[data-testid=wizard-next]").ClickAsync(new());
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find("textarea[data-testid=overrides-editor]")));
        return wizard;
    }

    [Fact]
    public async Task Completing_the_jobs_branch_creates_a_launch_automation_and_shows_the_effective_configuration()
    {
        var wizard = await ToJobStepAsync();
        Assert.Contains("No agent is polling this queue", wizard.Find("[data-testid=no-agent]").TextContent);

        await wizard.Find("textarea[data-testid=overrides-editor]").InputAsync(new() { Value = """{"learning_rate": 0.01, "model": "${artifact_version_string}"}""" });

        wizard.WaitForAssertion(() =>
        {
            var preview = JsonNode.Parse(wizard.Find("[data-testid=config-preview]").TextContent)!;
            Assert.Equal("""{"learning_rate":0.01,"epochs":3,"model":"acme/vision/model:production"}""", preview.ToJsonString());
        });
        await wizard.Find("[data-testid=wizard-next]").ClickAsync(new());
        wizard.WaitForAssertion(() => Assert.NotNull(wizard.Find("input[data-testid=automation-name]")));
        await wizard.Find("input[data-testid=automation-name]").ChangeAsync(new() { Value = "Retrain" });
        await wizard.Find("[data-testid=wizard-save]").ClickAsync(new());

        var nav = (NavigationManager)_ctx.Services.GetService(typeof(NavigationManager))!;
        wizard.WaitForAssertion(() => Assert.Contains("/automations?saved=", nav.Uri));
        var created = Assert.Single(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
        Assert.Equal((ActionTypes.Job, "train:latest", "gpu", null), (created.ActionType, created.ActionName, created.Queue, created.Problem));
        var detail = await _services.Get<AutomationService>().GetAsync(_team.Member, _team.Slug, "vision", created.Id);
        Assert.Equal(("vision", "gpu"), (detail.Launch!.DestinationProject, detail.Launch.Queue));
        Assert.Contains("${artifact_version_string}", detail.Launch.Overrides);
    }

    [Fact]
    public async Task Secrets_in_the_overrides_are_refused_next_to_the_editor()
    {
        var wizard = await ToJobStepAsync();

        await wizard.Find("textarea[data-testid=overrides-editor]").InputAsync(new() { Value = """{"token": "${HF_TOKEN}"}""" });
        await wizard.Find("[data-testid=wizard-next]").ClickAsync(new());

        wizard.WaitForAssertion(() => Assert.Contains("Overrides cannot use secrets", wizard.Find("[data-testid=overrides-error]").TextContent));
        Assert.Empty(wizard.FindAll("input[data-testid=automation-name]"));
        Assert.DoesNotContain("hf-secret-value", wizard.Markup);
    }
}
