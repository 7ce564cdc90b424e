using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Launch;
using Automations.Agent;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.E2E;

/// <summary>
/// The whole launch path with real processes: the app on Kestrel with its Hangfire workers, and the agent as
/// operators install it: the self-contained single-file executable (<see cref="AgentBuilds"/>), in a process of its own.
/// </summary>
public class LaunchAgentProcessTests : IAsyncLifetime
{
    private readonly AppFactory _app = new(new() { ["Launch:PollInterval"] = "00:00:01", ["Launch:HeartbeatInterval"] = "00:00:01" });
    private string _baseUrl = "";

    public ValueTask InitializeAsync()
    {
        _baseUrl = _app.StartOnLoopback();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Adding_alias_production_queues_a_run_that_an_agent_process_runs_with_the_merged_overrides()
    {
        var ct = TestContext.Current.CancellationToken;
        var team = await _app.CreateTeamAsync();
        var output = Path.Combine(_app.DataDirectory, "job-output");
        Directory.CreateDirectory(output);
        using (var scope = _app.Services.CreateScope())
        {
            var services = scope.ServiceProvider;
            var artifacts = services.GetRequiredService<ArtifactService>();
            await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
            await artifacts.CreateProjectAsync(team.Admin, team.Slug, "training", null);
            await artifacts.CreateCollectionAsync(team.Admin, team.Slug, "vision", "model", "model", null);
            var jobService = services.GetRequiredService<JobService>();
            var queueService = services.GetRequiredService<QueueService>();
            var runService = services.GetRequiredService<LaunchRunService>();
            var agentService = services.GetRequiredService<AgentService>();
            await jobService.CreateJobAsync(team.Admin, team.Slug, new JobInput("retrain", null, new JobVersionInput(
                "/bin/sh",
                ["-c", "cp \"$AUTOMATIONS_RUN_CONFIG\" \"$OUT/config.json\" && echo \"run $AUTOMATIONS_RUN_ID of $AUTOMATIONS_JOB $AUTOMATIONS_JOB_VERSION for $AUTOMATIONS_PROJECT\""],
                Environment: new Dictionary<string, string> { ["OUT"] = output },
                DefaultConfig: new JsonObject { ["learning_rate"] = 0.1, ["epochs"] = 3 })));
            await queueService.CreateQueueAsync(team.Admin, team.Slug, new QueueInput("gpu"));
            await services.GetRequiredService<AutomationService>().CreateAsync(team.Member, team.Slug, "vision", new AutomationInput(
                "Retrain on production", null, ArtifactEventTypes.AddArtifactAlias, "model", "production", ActionTypes.Job, null, null,
                Job: "retrain", Queue: "gpu", DestinationProject: "training",
                Overrides: """{"learning_rate": 0.01, "base_model": "${artifact_version_string}"}"""));
        }

        using var api = new HttpClient { BaseAddress = new Uri(_baseUrl) };
        var key = await _app.ApiKeyAsync(team.Admin);
        api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var logged = await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/model/versions", new { type = "model" }, ct);
        Assert.True(logged.IsSuccessStatusCode, await logged.Content.ReadAsStringAsync(ct));
        var aliased = await api.PostAsJsonAsync($"/api/v1/teams/{team.Slug}/projects/vision/collections/model/versions/v0/aliases", new { alias = "production" }, ct);
        Assert.True(aliased.IsSuccessStatusCode, await aliased.Content.ReadAsStringAsync(ct));

        using var agent = await StartAgentAsync(key, team.Slug);
        var log = new StringBuilder();
        agent.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        agent.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        try
        {
            await agent.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(90), ct);
        }
        catch (TimeoutException)
        {
            agent.Kill(entireProcessTree: true);
            Assert.Fail($"the agent did not finish its run:\n{log}");
        }

        Assert.True(agent.ExitCode == 0, $"agent exit code {agent.ExitCode}:\n{log}");
        var runs = await api.GetFromJsonAsync<JsonObject>($"/api/v1/teams/{team.Slug}/launch/queues/gpu/runs", AgentClient.Json, ct);
        var run = Assert.Single(runs!["items"]!.AsArray())!;
        Assert.Equal("Finished", run["status"]!.GetValue<string>());
        Assert.Equal(0, run["exitCode"]!.GetValue<int>());
        Assert.Equal("training", run["project"]!.GetValue<string>());
        var detail = await api.GetFromJsonAsync<JsonObject>($"/api/v1/teams/{team.Slug}/launch/runs/{run["id"]}", AgentClient.Json, ct);
        Assert.Equal($"run {run["id"]} of retrain v0 for training\n", detail!["outputTail"]!.GetValue<string>());
        var expected = """{"learning_rate":0.01,"epochs":3,"base_model":"acme/vision/model:production"}""";
        Assert.Equal(expected, detail["config"]!.ToJsonString());
        var written = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(output, "config.json"), ct))!;
        Assert.Equal(expected, written.ToJsonString());
        var agents = await api.GetFromJsonAsync<JsonArray>($"/api/v1/teams/{team.Slug}/launch/agents", AgentClient.Json, ct);
        Assert.False(Assert.Single(agents!)!["online"]!.GetValue<bool>(), "an agent that stops says so");
    }

    [Fact]
    public async Task Sigterm_stops_the_agent_gracefully_the_process_is_stopped_and_the_run_reported()
    {
        var ct = TestContext.Current.CancellationToken;
        var team = await _app.CreateTeamAsync();
        long runId;
        using (var scope = _app.Services.CreateScope())
        {
            var services = scope.ServiceProvider;
            await services.GetRequiredService<ArtifactService>().CreateProjectAsync(team.Admin, team.Slug, "training", null);
            var jobService = services.GetRequiredService<JobService>();
            var queueService = services.GetRequiredService<QueueService>();
            var runService = services.GetRequiredService<LaunchRunService>();
            var agentService = services.GetRequiredService<AgentService>();
            await jobService.CreateJobAsync(team.Admin, team.Slug, new JobInput("long", null, new JobVersionInput("/bin/sh", ["-c", "echo started; sleep 120"])));
            await queueService.CreateQueueAsync(team.Admin, team.Slug, new QueueInput("gpu"));
            runId = (await runService.LaunchAsync(team.Member, team.Slug, "gpu", new LaunchRequest("long", null, "training"))).Id;
        }

        var key = await _app.ApiKeyAsync(team.Admin);
        using var agent = await StartAgentAsync(key, team.Slug);
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        using (var scope = _app.Services.CreateScope())
        {
            var jobService = scope.ServiceProvider.GetRequiredService<JobService>();
            var queueService = scope.ServiceProvider.GetRequiredService<QueueService>();
            var runService = scope.ServiceProvider.GetRequiredService<LaunchRunService>();
            var agentService = scope.ServiceProvider.GetRequiredService<AgentService>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (await runService.GetRunAsync(team.Member, team.Slug, runId, ct) is not { Run.Status: LaunchRunStatus.Running, OutputTail: "started\n" })
            {
                Assert.True(DateTime.UtcNow < deadline, "the run should have started");
                await Task.Delay(100, ct);
            }

            using (var kill = Process.Start("kill", ["-TERM", agent.Id.ToString()]))
            {
                await kill.WaitForExitAsync(ct);
            }

            await agent.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.Equal(0, agent.ExitCode);
            var run = (await runService.GetRunAsync(team.Member, team.Slug, runId, ct)).Run;
            Assert.Equal(LaunchRunStatus.Failed, run.Status);
            Assert.Equal("The agent was stopped while the run was in progress.", run.Error);
            Assert.False(Assert.Single(await agentService.ListAgentsAsync(team.Member, team.Slug, ct)).Online);
        }
    }

    [Fact]
    public async Task Kill_9_of_the_agent_stops_its_job_within_seconds_so_a_requeued_run_never_runs_twice_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var team = await _app.CreateTeamAsync();
        var pidFile = Path.Combine(_app.DataDirectory, "job.pid");
        long runId;
        using (var scope = _app.Services.CreateScope())
        {
            var services = scope.ServiceProvider;
            await services.GetRequiredService<ArtifactService>().CreateProjectAsync(team.Admin, team.Slug, "training", null);
            var jobService = services.GetRequiredService<JobService>();
            var queueService = services.GetRequiredService<QueueService>();
            var runService = services.GetRequiredService<LaunchRunService>();
            var agentService = services.GetRequiredService<AgentService>();
            // The job and a grandchild of it: the whole process group must go.
            await jobService.CreateJobAsync(team.Admin, team.Slug, new JobInput("long", null, new JobVersionInput("/bin/sh",
                ["-c", "sleep 300 & echo $$ $! > \"$PIDS\"; wait"], Environment: new Dictionary<string, string> { ["PIDS"] = pidFile })));
            await queueService.CreateQueueAsync(team.Admin, team.Slug, new QueueInput("gpu"));
            runId = (await runService.LaunchAsync(team.Member, team.Slug, "gpu", new LaunchRequest("long", null, "training"))).Id;
        }

        using var agent = await StartAgentAsync(await _app.ApiKeyAsync(team.Admin), team.Slug);
        agent.BeginOutputReadLine();
        agent.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(pidFile) || (await File.ReadAllTextAsync(pidFile, ct)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, "the job should have started");
            await Task.Delay(100, ct);
        }

        var pids = (await File.ReadAllTextAsync(pidFile, ct)).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.All(pids, pid => Assert.True(Alive(pid)));

        agent.Kill(); // SIGKILL to the agent alone, not its tree: what kill -9 does
        await agent.WaitForExitAsync(ct);

        var gone = DateTime.UtcNow.AddSeconds(5);
        while (pids.Any(Alive))
        {
            Assert.True(DateTime.UtcNow < gone, $"the job's processes {string.Join(", ", pids.Where(Alive))} outlived their agent by 5 s");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>A process that exists and is not a zombie.</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>The published agent, configured as a systemd unit would: options in the environment, the key in a file.</summary>
    private async Task<Process> StartAgentAsync(string key, string team)
    {
        var keyFile = Path.Combine(_app.DataDirectory, "agent.key");
        await File.WriteAllTextAsync(keyFile, key + "\n");
        var start = AgentBuilds.Start(await AgentBuilds.SingleFileAsync(), ["--queue", "gpu", "--name", "e2e-agent", "--max-runs", "1", "--api-key-file", keyFile]);
        start.Environment["AUTOMATIONS_SERVER"] = _baseUrl;
        start.Environment["AUTOMATIONS_TEAM"] = team;
        start.Environment["AUTOMATIONS_WORK_DIR"] = Path.Combine(_app.DataDirectory, "agent-work");
        return Process.Start(start)!;
    }
}
