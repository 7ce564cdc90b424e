using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Http;

/// <summary>The app's own background sweeper gives a silent agent's run back to its queue.</summary>
[Collection(WorkerHostsCollection.Name)]
public class LaunchSweeperHostTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new()
    {
        ["Hangfire:Server:Enabled"] = "false",
        ["Launch:AgentTimeout"] = "00:00:01",
        ["Launch:SweepInterval"] = "00:00:00.200",
    });

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task A_run_held_by_an_agent_that_goes_silent_is_queued_again_and_claimed_by_another()
    {
        var team = await _app.CreateTeamAsync();
        using var scope = _app.Services.CreateScope();
        var jobService = scope.ServiceProvider.GetRequiredService<JobService>();
        var queueService = scope.ServiceProvider.GetRequiredService<QueueService>();
        var runService = scope.ServiceProvider.GetRequiredService<LaunchRunService>();
        var agentService = scope.ServiceProvider.GetRequiredService<AgentService>();
        await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(team.Admin, team.Slug, "training", null);
        await jobService.CreateJobAsync(team.Admin, team.Slug, new JobInput("train", null, new JobVersionInput("python")));
        await queueService.CreateQueueAsync(team.Admin, team.Slug, new QueueInput("gpu"));
        var run = await runService.LaunchAsync(team.Member, team.Slug, "gpu", new LaunchRequest("train", null, "training"));
        var silent = (await agentService.RegisterAgentAsync(team.Admin, team.Slug, new AgentRegistration("gpu", "silent"))).AgentId;
        Assert.Equal(run.Id, (await agentService.ClaimAsync(team.Admin, team.Slug, "gpu", silent))!.RunId);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await runService.GetRunAsync(team.Member, team.Slug, run.Id)).Run.Status != LaunchRunStatus.Queued)
        {
            Assert.True(DateTime.UtcNow < deadline, "the sweeper should have given the run back");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        var back = (await runService.GetRunAsync(team.Member, team.Slug, run.Id)).Run;
        Assert.Equal((1, null), (back.Requeues, back.Agent));
        Assert.Contains("stopped heartbeating", back.Error);
        var next = (await agentService.RegisterAgentAsync(team.Admin, team.Slug, new AgentRegistration("gpu", "next"))).AgentId;
        Assert.Equal(run.Id, (await agentService.ClaimAsync(team.Admin, team.Slug, "gpu", next))!.RunId);
    }
}
