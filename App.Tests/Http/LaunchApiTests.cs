using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Features.Artifacts;
using Automations.Features.Launch;
using Automations.Agent;
using Automations.Tests.TestInfrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Automations.Tests.Http;

/// <summary>The launch API over HTTP, and the agent (in-process) running real local processes against it.</summary>
public class LaunchApiTests : IAsyncLifetime
{
    private AppFactory _app = null!;
    private TeamFixture _team = null!;
    private string _launch = "";

    public async ValueTask InitializeAsync()
    {
        _app = new AppFactory(new()
        {
            ["Hangfire:Server:Enabled"] = "false",
            ["Launch:HeartbeatInterval"] = "00:00:01",
            ["Launch:PollInterval"] = "00:00:01",
        });
        _team = await _app.CreateTeamAsync();
        using var scope = _app.Services.CreateScope();
        await scope.ServiceProvider.GetRequiredService<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "training", null);
        _launch = $"/api/v1/teams/{_team.Slug}/launch";
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static JsonContent Json(object body) => JsonContent.Create(body, options: AgentClient.Json);

    private async Task CreateJobAsync(HttpClient admin, string name, params string[] arguments)
    {
        var response = await admin.PostAsync($"{_launch}/jobs", Json(new JobInput(name, null, new JobVersionInput("/bin/sh", ["-c", .. arguments],
            DefaultConfig: new JsonObject { ["epochs"] = 3 }))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    private async Task<long> LaunchAsync(HttpClient client, string job)
    {
        var response = await client.PostAsync($"{_launch}/queues/gpu/runs", Json(new LaunchRequest(job, null, "training")));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LaunchRunSummary>(AgentClient.Json))!.Id;
    }

    private async Task<LaunchRunDetail> RunAsync(HttpClient client, long id) =>
        (await client.GetFromJsonAsync<LaunchRunDetail>($"{_launch}/runs/{id}", AgentClient.Json))!;

    [Fact]
    public async Task Admins_manage_jobs_and_queues_members_get_403_outsiders_404_anonymous_401()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        using var member = await _app.ApiClientAsync(_team.Member);
        using var outsider = await _app.ApiClientAsync(_team.Outsider);
        using var anonymous = _app.CreateClient();

        var job = Json(new JobInput("train", null, new JobVersionInput("python", ["train.py"])));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"{_launch}/jobs", job)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await outsider.PostAsync($"{_launch}/jobs", job)).StatusCode);
        var forbidden = await member.PostAsync($"{_launch}/jobs", job);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"{_launch}/jobs", job)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync($"{_launch}/jobs/train/versions", Json(new JobVersionInput("python")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.DeleteAsync($"{_launch}/queues/gpu")).StatusCode);
        // An agent receives the secrets of the jobs it runs: only an admin's key may act as one.
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync($"{_launch}/agents", Json(new AgentRegistration("gpu")))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await member.PostAsync($"{_launch}/queues/gpu/claim", Json(new AgentRequest(1)))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsync($"{_launch}/agents", Json(new AgentRegistration("gpu")))).StatusCode);

        foreach (var path in new[] { $"{_launch}/jobs", $"{_launch}/jobs/train", $"{_launch}/queues", $"{_launch}/queues/gpu", $"{_launch}/queues/gpu/runs", $"{_launch}/agents", $"{_launch}/runs" })
        {
            Assert.Equal(HttpStatusCode.OK, (await member.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await outsider.GetAsync(path)).StatusCode);
        }

        var bad = await admin.PostAsync($"{_launch}/jobs", Json(new JobInput("other", null, new JobVersionInput("python", Environment: new Dictionary<string, string> { ["TOKEN"] = "${MISSING}" }))));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("version.environment.TOKEN", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Eight_agents_claiming_from_one_queue_of_200_runs_claim_each_run_exactly_once()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        await CreateJobAsync(admin, "train", "true");
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var queued = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            queued.Add(await LaunchAsync(admin, "train"));
        }

        var claims = new ConcurrentBag<(int Agent, long Run)>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            using var client = await _app.ApiClientAsync(_team.Admin);
            var registered = await (await client.PostAsync($"{_launch}/agents", Json(new AgentRegistration("gpu", $"agent-{i}")))).Content.ReadFromJsonAsync<AgentRegistered>(AgentClient.Json);
            while (true)
            {
                var response = await client.PostAsync($"{_launch}/queues/gpu/claim", Json(new AgentRequest(registered!.AgentId)));
                if (response.StatusCode == HttpStatusCode.NoContent)
                {
                    return;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                claims.Add((registered.AgentId, (await response.Content.ReadFromJsonAsync<ClaimedRun>(AgentClient.Json))!.RunId));
            }
        }));

        Assert.Equal(200, claims.Count);
        Assert.Equal(queued.Order(), claims.Select(c => c.Run).Order());
        Assert.True(claims.Select(c => c.Agent).Distinct().Count() > 1, "the claims should have been spread over several agents");
        var page = await admin.GetFromJsonAsync<JsonObject>($"{_launch}/queues/gpu/runs?status=Claimed&pageSize=1");
        Assert.Equal(200, page!["total"]!.GetValue<int>());
    }

    private async Task<(AgentRunner Runner, HttpClient Http)> AgentAsync(int maxRuns, HttpMessageHandler? flaky = null, string? apiKey = null)
    {
        var http = flaky is null ? _app.CreateClient() : new HttpClient(flaky) { BaseAddress = _app.Server.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey ?? await _app.ApiKeyAsync(_team.Admin));
        var client = new AgentClient(http, _team.Slug, NullLogger.Instance) { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxBackoff = TimeSpan.FromMilliseconds(200) };
        var runner = new AgentRunner(client, new AgentSettings
        {
            Queue = "gpu", Name = "test-agent", Server = _app.Server.BaseAddress, MaxRuns = maxRuns,
            OutputInterval = TimeSpan.FromMilliseconds(200), WorkRoot = Path.Combine(_app.DataDirectory, "agent"),
        }, NullLogger.Instance);
        return (runner, http);
    }

    [Fact]
    public async Task A_failing_command_marks_the_run_failed_with_its_exit_code_and_output_tail()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        await CreateJobAsync(admin, "broken", "echo \"epochs from $AUTOMATIONS_RUN_CONFIG\"; cat \"$AUTOMATIONS_RUN_CONFIG\"; echo 'CUDA out of memory' >&2; exit 3");
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var id = await LaunchAsync(admin, "broken");
        var (agent, http) = await AgentAsync(maxRuns: 1);
        using var _ = http;

        await agent.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var run = await RunAsync(admin, id);
        Assert.Equal((LaunchRunStatus.Failed, 3, "test-agent"), (run.Run.Status, run.Run.ExitCode, run.Run.Agent));
        Assert.Equal("The process exited with code 3.", run.Run.Error);
        Assert.Contains("CUDA out of memory", run.OutputTail);
        Assert.Contains("\"epochs\": 3", run.OutputTail);
        Assert.Contains("config.json", run.OutputTail);
        Assert.False(Directory.EnumerateDirectories(Path.Combine(_app.DataDirectory, "agent")).Any(), "the run's directory is removed when it ends");
    }

    [Fact]
    public async Task A_program_that_cannot_be_started_fails_the_run_with_the_reason()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        var created = await admin.PostAsync($"{_launch}/jobs", Json(new JobInput("missing", null, new JobVersionInput("/no/such/program"))));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var id = await LaunchAsync(admin, "missing");
        var (agent, http) = await AgentAsync(maxRuns: 1);
        using var _ = http;

        await agent.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var run = await RunAsync(admin, id);
        Assert.Equal((LaunchRunStatus.Failed, null), (run.Run.Status, run.Run.ExitCode));
        Assert.StartsWith("Could not start '/no/such/program'", run.Run.Error);
    }

    [Fact]
    public async Task Cancelling_a_running_run_stops_its_process()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        await CreateJobAsync(admin, "slow", "echo ready; sleep 60; echo never");
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var id = await LaunchAsync(admin, "slow");
        var (agent, http) = await AgentAsync(maxRuns: 1);
        using var _ = http;
        var started = DateTime.UtcNow;
        var running = agent.RunAsync(TestContext.Current.CancellationToken);
        while ((await RunAsync(admin, id)) is not { Run.Status: LaunchRunStatus.Running, OutputTail: var tail } || !tail.Contains("ready"))
        {
            Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(20), "the run should be running and have printed 'ready'");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync($"{_launch}/runs/{id}/cancel", null)).StatusCode);
        await running.WaitAsync(TimeSpan.FromSeconds(20), TestContext.Current.CancellationToken);

        var run = await RunAsync(admin, id);
        Assert.Equal(LaunchRunStatus.Cancelled, run.Run.Status);
        Assert.DoesNotContain("never", run.OutputTail);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(40));
    }

    [Fact]
    public async Task The_agent_survives_the_server_being_briefly_unreachable()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        await CreateJobAsync(admin, "ok", "echo done");
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var id = await LaunchAsync(admin, "ok");
        var flaky = new FlakyHandler(_app.Server.CreateHandler(), failFirst: 4);
        var (agent, http) = await AgentAsync(maxRuns: 1, flaky);
        using var _ = http;

        await agent.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(4, flaky.Failed);
        var run = await RunAsync(admin, id);
        Assert.Equal((LaunchRunStatus.Finished, 0), (run.Run.Status, run.Run.ExitCode));
        Assert.Equal("done\n", run.OutputTail);
    }

    [Fact]
    public async Task An_agent_with_an_agent_service_key_of_its_queue_runs_a_job_to_the_end()
    {
        using var admin = await _app.ApiClientAsync(_team.Admin);
        await CreateJobAsync(admin, "ok", "echo done");
        await admin.PostAsync($"{_launch}/queues", Json(new QueueInput("gpu")));
        var id = await LaunchAsync(admin, "ok");
        var created = await admin.PostAsync($"/api/v1/teams/{_team.Slug}/service-keys", Json(new { name = "gpu-box", permission = "agent", queue = "gpu" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = (await created.Content.ReadFromJsonAsync<JsonObject>())!["key"]!.GetValue<string>();
        var (agent, http) = await AgentAsync(maxRuns: 1, apiKey: key);
        using var _ = http;

        await agent.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        var run = await RunAsync(admin, id);
        Assert.Equal((LaunchRunStatus.Finished, 0, "done\n"), (run.Run.Status, run.Run.ExitCode, run.OutputTail));
        var agents = (await admin.GetFromJsonAsync<JsonArray>($"{_launch}/agents"))!;
        Assert.Equal("gpu-box (service key)", agents.Single()!["registeredBy"]!.GetValue<string>());
    }

    /// <summary>Refuses the first requests as if the server were down, then lets everything through.</summary>
    private sealed class FlakyHandler(HttpMessageHandler inner, int failFirst) : DelegatingHandler(inner)
    {
        private int _seen;

        public int Failed => Math.Min(_seen, failFirst);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _seen) <= failFirst
                ? throw new HttpRequestException("Connection refused (simulated)")
                : base.SendAsync(request, cancellationToken);
    }
}
