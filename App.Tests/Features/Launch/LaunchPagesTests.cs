using System.Text.Json.Nodes;
using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Tests.TestInfrastructure;
using Bunit;

namespace Automations.Tests.Features.Launch;

public class LaunchPagesTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
        await _services.Get<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "training", null);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private JobService Jobs => _services.Get<JobService>();

    private QueueService Queues => _services.Get<QueueService>();

    private LaunchRunService Runs => _services.Get<LaunchRunService>();

    private AgentService Agents => _services.Get<AgentService>();

    private async Task SetUpAsync()
    {
        await Jobs.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", "Fine-tune", new JobVersionInput("python", ["train.py"], DefaultConfig: new JsonObject { ["epochs"] = 3 })));
        await Queues.CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu"));
    }

    [Fact]
    public async Task Members_see_jobs_queues_and_agents_but_no_create_buttons()
    {
        await SetUpAsync();
        await Agents.RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", "box-1"));
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();

        var agents = ctx.Render<LaunchPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Section, "agents"));
        agents.WaitForAssertion(() => Assert.Contains("box-1", agents.Find("[data-testid=agents-table]").TextContent));
        Assert.Contains("Online", agents.Find("[data-testid=agents-table]").TextContent);
        Assert.Contains("Only team admins create jobs and queues", agents.Markup);

        foreach (var (section, table, button, name) in new[] { ("jobs", "jobs-table", "new-job", "train"), ("queues", "queues-table", "new-queue", "gpu") })
        {
            var page = ctx.Render<LaunchPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Section, section));
            page.WaitForAssertion(() => Assert.Contains(name, page.Find($"[data-testid={table}]").TextContent));
            Assert.Empty(page.FindAll($"[data-testid={button}]"));
        }
    }

    [Fact]
    public async Task An_agent_whose_heartbeats_stop_turns_offline_on_the_open_page_without_any_write()
    {
        await SetUpAsync();
        await Agents.RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", "box-1"));
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();
        var page = ctx.Render<LaunchPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Section, "agents"));
        var queue = ctx.Render<QueuePage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Queue, "gpu"));
        page.WaitForAssertion(() => Assert.Contains("Online", page.Find("[data-testid=agents-table]").TextContent));
        queue.WaitForAssertion(() => Assert.Contains("1 agent(s) online", queue.Find("[data-testid=queue-summary]").TextContent));

        _services.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Contains("Online", page.Find("[data-testid=agents-table]").TextContent);
        _services.Clock.Advance(TimeSpan.FromSeconds(32));

        page.WaitForAssertion(() => Assert.Contains("Offline", page.Find("[data-testid=agents-table]").TextContent));
        queue.WaitForAssertion(() => Assert.Contains("0 agent(s) online", queue.Find("[data-testid=queue-summary]").TextContent));

        // An agent registering is a write: the queue page counts it without a reload.
        await Agents.RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", "box-2"));
        queue.WaitForAssertion(() => Assert.Contains("1 agent(s) online", queue.Find("[data-testid=queue-summary]").TextContent), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task An_admin_creates_a_queue_and_a_job_through_the_dialogs()
    {
        await using var ctx = new AppTestContext(_services, _team.Admin);
        var providers = ctx.RenderProviders();
        var page = ctx.Render<LaunchPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Section, "queues"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=new-queue]")));

        _ = page.Find("[data-testid=new-queue]").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=queue-name]")));
        await providers.Find("input[data-testid=queue-name]").ChangeAsync(new() { Value = "gpu" });
        await providers.Find("[data-testid=queue-save]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Contains("gpu", page.Find("[data-testid=queues-table]").TextContent));

        page = ctx.Render<LaunchPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Section, "jobs"));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=new-job]")));
        _ = page.Find("[data-testid=new-job]").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.NotNull(providers.Find("input[data-testid=job-name]")));
        await providers.Find("input[data-testid=job-name]").ChangeAsync(new() { Value = "train" });
        await providers.Find("input[data-testid=job-program]").ChangeAsync(new() { Value = "python" });
        await providers.Find("textarea[data-testid=job-arguments]").ChangeAsync(new() { Value = "train.py\n--epochs\n3" });
        await providers.Find("textarea[data-testid=job-environment]").ChangeAsync(new() { Value = "TOKEN=${MISSING}" });
        await providers.Find("[data-testid=job-save]").ClickAsync(new());
        providers.WaitForAssertion(() => Assert.Contains("not a secret of this team", providers.Markup));
        Assert.Empty(await Jobs.ListJobsAsync(_team.Admin, _team.Slug));

        await providers.Find("textarea[data-testid=job-environment]").ChangeAsync(new() { Value = "MODE=fast" });
        await providers.Find("textarea[data-testid=job-config]").ChangeAsync(new() { Value = "{\"epochs\": 5}" });
        await providers.Find("[data-testid=job-save]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("train", page.Find("[data-testid=jobs-table]").TextContent));
        var job = await Jobs.GetJobAsync(_team.Admin, _team.Slug, "train");
        var version = Assert.Single(job.Versions);
        Assert.Equal(["train.py", "--epochs", "3"], version.Arguments);
        Assert.Equal(("fast", 5), (version.Environment["MODE"], version.DefaultConfig["epochs"]!.GetValue<int>()));
    }

    [Fact]
    public async Task The_run_page_shows_configuration_output_and_cancels_a_queued_run()
    {
        await SetUpAsync();
        var run = await Runs.LaunchAsync(_team.Member, _team.Slug, "gpu", new LaunchRequest("train", null, "training", new JsonObject { ["epochs"] = 7 }));
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();

        var page = ctx.Render<LaunchRunPage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.RunId, run.Id));

        page.WaitForAssertion(() => Assert.Contains("\"epochs\": 7", page.Find("[data-testid=run-config]").TextContent));
        Assert.Equal("Queued", page.Find("[data-testid=run-status]").TextContent.Trim());
        await page.Find("[data-testid=cancel-run]").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal("Cancelled", page.Find("[data-testid=run-status]").TextContent.Trim()));
        Assert.Equal(LaunchRunStatus.Cancelled, (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).Run.Status);
    }

    [Fact]
    public async Task The_queue_page_lists_its_runs_and_follows_their_status()
    {
        await SetUpAsync();
        var run = await Runs.LaunchAsync(_team.Member, _team.Slug, "gpu", new LaunchRequest("train", null, "training"));
        await using var ctx = new AppTestContext(_services, _team.Member);
        ctx.RenderProviders();
        var page = ctx.Render<QueuePage>(p => p.Add(x => x.Team, _team.Slug).Add(x => x.Queue, "gpu"));
        page.WaitForAssertion(() => Assert.Equal("Queued", page.Find("[data-testid=launch-status]").TextContent.Trim()));

        var agent = (await Agents.RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", "box"))).AgentId;
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);
        await Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(agent, LaunchRunStatus.Running));

        // The agent's report reaches the open table when it is committed: no click, no navigation, no timer.
        page.WaitForAssertion(() => Assert.Equal("Running", page.Find("[data-testid=launch-status]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Contains("box", page.Find("[data-testid=launch-runs-table]").TextContent);
    }
}
