using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Infrastructure;
using Automations.Infrastructure.Telemetry;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Automations.Tests.Features.Launch;

/// <summary>Jobs, queues, runs and agents over a real SQLite file; the test plays Hangfire, the agents and the clock.</summary>
public class LaunchServiceTests : IAsyncLifetime
{
    /// <summary>The database these tests run on; <see cref="LaunchServicePostgresTests"/> runs them all again on PostgreSQL.</summary>
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private const string Token = "hf_token_value_12345";

    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(provider: Provider);
        _team = await _services.CreateTeamAsync();
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "HF_TOKEN", Token);
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "training", null);
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "model", "model", null);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private JobService Jobs => _services.Get<JobService>();

    private QueueService Queues => _services.Get<QueueService>();

    private LaunchRunService Runs => _services.Get<LaunchRunService>();

    private AgentService Agents => _services.Get<AgentService>();

    private ArtifactService Artifacts => _services.Get<ArtifactService>();

    private static JobVersionInput Version(string program = "python", JsonObject? defaults = null, Dictionary<string, string>? environment = null) =>
        new(program, ["train.py", "--epochs", "3"], null, environment ?? new Dictionary<string, string> { ["HF_TOKEN"] = "${HF_TOKEN}", ["MODE"] = "fast" },
            defaults ?? new JsonObject { ["learning_rate"] = 0.1, ["optimizer"] = new JsonObject { ["name"] = "adam", ["beta"] = 0.9 } });

    private async Task SetUpAsync()
    {
        await Jobs.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", "Train the model", Version()));
        await Queues.CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu"));
    }

    private async Task<int> RegisterAsync(string name = "agent-1") =>
        (await Agents.RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", name, "1.0"))).AgentId;

    private Task<LaunchRunSummary> LaunchAsync(JsonObject? config = null) =>
        Runs.LaunchAsync(_team.Member, _team.Slug, "gpu", new LaunchRequest("train", null, "training", config));

    [Fact]
    public async Task Metrics_record_how_long_a_run_waited_and_the_gauges_count_queued_runs_and_online_agents()
    {
        await SetUpAsync();
        var meters = _services.Get<System.Diagnostics.Metrics.IMeterFactory>();
        using var waits = new MetricCollector<double>(meters, EngineMetrics.MeterName, "automations.launch.wait");
        using var queued = new MetricCollector<long>(meters, EngineMetrics.MeterName, "automations.launch.queued");
        using var queuedAge = new MetricCollector<double>(meters, EngineMetrics.MeterName, "automations.launch.queued.age");
        using var online = new MetricCollector<long>(meters, EngineMetrics.MeterName, "automations.agents.online");
        await LaunchAsync();
        await LaunchAsync();
        var agent = await RegisterAsync();
        _services.Clock.Advance(TimeSpan.FromSeconds(30));

        queued.RecordObservableInstruments();
        queuedAge.RecordObservableInstruments();
        online.RecordObservableInstruments();
        Assert.Equal(2, queued.LastMeasurement!.Value);
        Assert.Equal(30, queuedAge.LastMeasurement!.Value);
        Assert.Equal(1, online.LastMeasurement!.Value);

        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);
        Assert.Equal(30, Assert.Single(waits.GetMeasurementSnapshot()).Value);
        _services.Clock.Advance(TimeSpan.FromSeconds(90)); // past the gauges' cache, and the agent falls silent
        queued.RecordObservableInstruments();
        online.RecordObservableInstruments();
        Assert.Equal(1, queued.LastMeasurement!.Value);
        Assert.Equal(0, online.LastMeasurement!.Value);
    }

    [Fact]
    public async Task Versions_are_added_never_edited_and_numbered_from_v0()
    {
        await SetUpAsync();
        await Jobs.AddVersionAsync(_team.Admin, _team.Slug, "train", Version(program: "python3"));

        var job = await Jobs.GetJobAsync(_team.Member, _team.Slug, "train");

        Assert.Equal((1, 2), (job.Job.LatestVersion, job.Job.VersionCount));
        Assert.Equal(["python3", "python"], job.Versions.Select(v => v.Program));
        Assert.Equal("${HF_TOKEN}", job.Versions[0].Environment["HF_TOKEN"]);
        var run = await LaunchAsync();
        Assert.Equal(1, run.JobVersion);
    }

    [Fact]
    public async Task Members_cannot_create_jobs_queues_or_versions_and_outsiders_get_not_found()
    {
        await SetUpAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Jobs.CreateJobAsync(_team.Member, _team.Slug, new JobInput("x", null, Version())));
        await Assert.ThrowsAsync<ForbiddenException>(() => Queues.CreateQueueAsync(_team.Member, _team.Slug, new QueueInput("cpu")));
        await Assert.ThrowsAsync<ForbiddenException>(() => Jobs.AddVersionAsync(_team.Member, _team.Slug, "train", Version()));
        await Assert.ThrowsAsync<ForbiddenException>(() => Queues.DeleteQueueAsync(_team.Member, _team.Slug, "gpu"));
        await Assert.ThrowsAsync<ForbiddenException>(() => Agents.RegisterAgentAsync(_team.Member, _team.Slug, new AgentRegistration("gpu")));
        var agent = await RegisterAsync();
        await Assert.ThrowsAsync<ForbiddenException>(() => Agents.ClaimAsync(_team.Member, _team.Slug, "gpu", agent));
        await Assert.ThrowsAsync<NotFoundException>(() => Jobs.ListJobsAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Queues.GetQueueAsync(_team.Outsider, _team.Slug, "gpu"));
        await Assert.ThrowsAsync<NotFoundException>(() => Agents.RegisterAgentAsync(_team.Outsider, _team.Slug, new AgentRegistration("gpu")));
        await Assert.ThrowsAsync<NotFoundException>(() => Jobs.CreateJobAsync(_team.Outsider, _team.Slug, new JobInput("x", null, Version())));
        var run = await LaunchAsync();
        await Assert.ThrowsAsync<NotFoundException>(() => Runs.CancelAsync(_team.Outsider, _team.Slug, run.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Runs.GetRunAsync(_team.Outsider, $"{_team.Slug}-other", run.Id));
        Assert.Single(await Jobs.ListJobsAsync(_team.Member, _team.Slug));
        Assert.Single(await Queues.ListQueuesAsync(_team.Member, _team.Slug));
    }

    public static TheoryData<string, JobVersionInput> BadVersions => new()
    {
        { "version.program", new JobVersionInput("  ") },
        { "version.environment.1BAD", new JobVersionInput("python", Environment: new Dictionary<string, string> { ["1BAD"] = "x" }) },
        { "version.environment.AUTOMATIONS_RUN_ID", new JobVersionInput("python", Environment: new Dictionary<string, string> { ["AUTOMATIONS_RUN_ID"] = "x" }) },
        { "version.environment.KEY", new JobVersionInput("python", Environment: new Dictionary<string, string> { ["KEY"] = "${NO_SUCH_SECRET}" }) },
        { "version.arguments", new JobVersionInput("python", Arguments: Enumerable.Repeat("a", 201).ToList()) },
    };

    [Theory]
    [MemberData(nameof(BadVersions))]
    public async Task Bad_job_input_names_the_field_and_writes_nothing(string field, JobVersionInput version)
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => Jobs.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", null, version)));

        Assert.Equal(field, ex.Field);
        Assert.Empty(await Jobs.ListJobsAsync(_team.Admin, _team.Slug));
    }

    [Fact]
    public async Task Duplicate_names_and_unknown_resource_types_are_refused()
    {
        await SetUpAsync();

        Assert.Equal("name", (await Assert.ThrowsAsync<ConflictException>(() => Jobs.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", null, Version())))).Field);
        Assert.Equal("name", (await Assert.ThrowsAsync<ConflictException>(() => Queues.CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu")))).Field);
        Assert.Equal("resourceType", (await Assert.ThrowsAsync<InputException>(() => Queues.CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("k8s", null, "kubernetes")))).Field);
    }

    [Fact]
    public async Task A_claim_hands_out_the_oldest_queued_run_with_resolved_secrets_and_merged_configuration()
    {
        await SetUpAsync();
        var first = await LaunchAsync(new JsonObject { ["optimizer"] = new JsonObject { ["beta"] = 0.5 }, ["epochs"] = 10 });
        await LaunchAsync();
        var agent = await RegisterAsync();

        var claimed = await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);

        Assert.NotNull(claimed);
        Assert.Equal(first.Id, claimed.RunId);
        Assert.Equal(("python", "training", "train", 0), (claimed.Program, claimed.Project, claimed.Job, claimed.JobVersion));
        Assert.Equal(["train.py", "--epochs", "3"], claimed.Arguments);
        Assert.Equal(Token, claimed.Environment["HF_TOKEN"]);
        Assert.Equal("""{"learning_rate":0.1,"optimizer":{"name":"adam","beta":0.5},"epochs":10}""", claimed.Config.ToJsonString());
        var stored = await Runs.GetRunAsync(_team.Member, _team.Slug, first.Id);
        Assert.Equal((LaunchRunStatus.Claimed, "agent-1"), (stored.Run.Status, stored.Run.Agent));
        Assert.DoesNotContain(Token, stored.Config!.ToJsonString());
    }

    [Fact]
    public async Task An_empty_queue_gives_nothing_and_a_claim_is_never_handed_out_twice()
    {
        await SetUpAsync();
        var agent = await RegisterAsync();
        Assert.Null(await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent));
        var runs = new List<long>();
        for (var i = 0; i < 40; i++)
        {
            runs.Add((await LaunchAsync()).Id);
        }

        var agents = new List<int>();
        for (var i = 0; i < 8; i++)
        {
            agents.Add(await RegisterAsync($"agent-{i}"));
        }

        // Eight agents with their own service scopes, claiming at once until the queue is empty.
        var claims = await Task.WhenAll(agents.Select(id => Task.Run(async () =>
        {
            var mine = new List<long>();
            using var scope = _services.Provider.CreateScope();
            var agentService = scope.ServiceProvider.GetRequiredService<AgentService>();
            while (await agentService.ClaimAsync(_team.Admin, _team.Slug, "gpu", id) is { } run)
            {
                mine.Add(run.RunId);
            }

            return mine;
        })));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(runs.Order(), all.Order());
        Assert.Equal(all.Count, all.Distinct().Count());
    }

    [Fact]
    public async Task Status_reports_move_the_run_and_only_the_holding_agent_may_report()
    {
        await SetUpAsync();
        var run = await LaunchAsync();
        var holder = await RegisterAsync("holder");
        var other = await RegisterAsync("other");
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", holder);

        await Assert.ThrowsAsync<ConflictException>(() => Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(other, LaunchRunStatus.Running)));
        Assert.Equal(LaunchRunStatus.Running, (await Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(holder, LaunchRunStatus.Running))).Status);
        await Agents.AppendOutputAsync(_team.Admin, _team.Slug, run.Id, new OutputChunk(holder, $"token is {Token}\n"));
        var ended = await Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(holder, LaunchRunStatus.Failed, 3, "The process exited with code 3."));

        Assert.Equal((LaunchRunStatus.Failed, 3), (ended.Status, ended.ExitCode));
        var detail = await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id);
        Assert.Equal("token is [redacted]\n", detail.OutputTail);
        Assert.NotNull(detail.Run.StartedAt);
        await Assert.ThrowsAsync<ConflictException>(() => Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(holder, LaunchRunStatus.Finished, 0)));
    }

    [Fact]
    public async Task The_output_tail_keeps_only_the_newest_characters()
    {
        await SetUpAsync();
        var run = await LaunchAsync();
        var agent = await RegisterAsync();
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);

        await Agents.AppendOutputAsync(_team.Admin, _team.Slug, run.Id, new OutputChunk(agent, new string('a', LaunchRules.MaxOutputChars)));
        await Agents.AppendOutputAsync(_team.Admin, _team.Slug, run.Id, new OutputChunk(agent, "the end"));

        var tail = (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).OutputTail;
        Assert.Equal(LaunchRules.MaxOutputChars, tail.Length);
        Assert.EndsWith("aaathe end", tail);
    }

    [Fact]
    public async Task Cancelling_a_queued_run_ends_it_and_a_running_one_asks_its_agent()
    {
        await SetUpAsync();
        var queued = await LaunchAsync();
        var running = await LaunchAsync();
        var agent = await RegisterAsync();

        Assert.Equal(LaunchRunStatus.Cancelled, (await Runs.CancelAsync(_team.Member, _team.Slug, queued.Id)).Status);
        var claimed = await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);
        Assert.Equal(running.Id, claimed!.RunId);
        var asked = await Runs.CancelAsync(_team.Member, _team.Slug, running.Id);

        Assert.Equal((LaunchRunStatus.Claimed, true), (asked.Status, asked.CancelRequested));
        Assert.Equal([running.Id], (await Agents.HeartbeatAsync(_team.Admin, _team.Slug, agent)).CancelRunIds);
        Assert.True((await Agents.AppendOutputAsync(_team.Admin, _team.Slug, running.Id, new OutputChunk(agent, ""))).CancelRequested);
        await Assert.ThrowsAsync<ConflictException>(() => Runs.CancelAsync(_team.Member, _team.Slug, queued.Id));
    }

    [Fact]
    public async Task Runs_of_an_agent_that_stops_heartbeating_go_back_to_the_queue_then_fail()
    {
        await SetUpAsync();
        var run = await LaunchAsync();
        var silent = await RegisterAsync("silent");
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", silent);

        _services.Clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await Agents.RequeueLostRunsAsync());
        _services.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(1, await Agents.RequeueLostRunsAsync());

        var back = (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).Run;
        Assert.Equal((LaunchRunStatus.Queued, null, 1), (back.Status, back.Agent, back.Requeues));
        await Assert.ThrowsAsync<ConflictException>(() => Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(silent, LaunchRunStatus.Running)));
        Assert.False((await Agents.ListAgentsAsync(_team.Member, _team.Slug)).Single().Online);

        for (var i = 0; i < 3; i++)
        {
            var next = await RegisterAsync($"next-{i}");
            Assert.Equal(run.Id, (await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", next))!.RunId);
            _services.Clock.Advance(TimeSpan.FromMinutes(2));
            await Agents.RequeueLostRunsAsync();
        }

        var failed = (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).Run;
        Assert.Equal(LaunchRunStatus.Failed, failed.Status);
        Assert.Contains("stopped responding", failed.Error);
    }

    [Fact]
    public async Task A_claim_whose_answer_was_lost_goes_back_to_the_queue_and_a_late_start_of_it_is_refused()
    {
        await SetUpAsync();
        var run = await LaunchAsync();
        var agent = await RegisterAsync();
        // The server committed the claim; the agent never got the answer and goes on polling and heartbeating.
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);
        for (var i = 0; i < 2; i++)
        {
            _services.Clock.Advance(TimeSpan.FromSeconds(25));
            Assert.Null(await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent));
            Assert.Equal(0, await Agents.RequeueLostRunsAsync());
        }

        _services.Clock.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(1, await Agents.RequeueLostRunsAsync());

        var back = (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).Run;
        Assert.Equal((LaunchRunStatus.Queued, 0), (back.Status, back.Requeues));
        Assert.Contains("never started it", back.Error);
        // An answer that arrives this late cannot start the run: Running is refused.
        await Assert.ThrowsAsync<ConflictException>(() => Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(agent, LaunchRunStatus.Running)));
        Assert.Equal(run.Id, (await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent))!.RunId);
    }

    [Fact]
    public async Task A_heartbeating_agent_keeps_its_run()
    {
        await SetUpAsync();
        var run = await LaunchAsync();
        var agent = await RegisterAsync();
        await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", agent);
        await Agents.ReportStatusAsync(_team.Admin, _team.Slug, run.Id, new StatusReport(agent, LaunchRunStatus.Running));

        for (var i = 0; i < 5; i++)
        {
            _services.Clock.Advance(TimeSpan.FromSeconds(40));
            await Agents.HeartbeatAsync(_team.Admin, _team.Slug, agent);
            await Agents.RequeueLostRunsAsync();
        }

        Assert.Equal(LaunchRunStatus.Running, (await Runs.GetRunAsync(_team.Member, _team.Slug, run.Id)).Run.Status);
        Assert.True((await Agents.ListAgentsAsync(_team.Member, _team.Slug)).Single().Online);
        Assert.Equal(run.Id, (await Agents.ListAgentsAsync(_team.Member, _team.Slug)).Single().CurrentRunId);
    }

    [Fact]
    public async Task A_secret_in_the_latest_version_of_a_job_cannot_be_deleted_and_a_run_needing_a_deleted_one_fails_at_claim()
    {
        await SetUpAsync();
        var secrets = _services.Get<SecretService>();
        var pinned = await Runs.LaunchAsync(_team.Member, _team.Slug, "gpu", new LaunchRequest("train", 0, "training"));

        var refused = await Assert.ThrowsAsync<ConflictException>(() => secrets.DeleteAsync(_team.Admin, _team.Slug, "HF_TOKEN"));
        Assert.Contains("job(s): train", refused.Message);
        await Jobs.AddVersionAsync(_team.Admin, _team.Slug, "train", Version(environment: []));
        await secrets.DeleteAsync(_team.Admin, _team.Slug, "HF_TOKEN");
        var latest = await LaunchAsync();

        var claimed = await Agents.ClaimAsync(_team.Admin, _team.Slug, "gpu", await RegisterAsync());

        Assert.Equal(latest.Id, claimed!.RunId);
        var failed = (await Runs.GetRunAsync(_team.Member, _team.Slug, pinned.Id)).Run;
        Assert.Equal(LaunchRunStatus.Failed, failed.Status);
        Assert.Contains("references the secret HF_TOKEN, which no longer exists", failed.Error);
    }

    [Fact]
    public async Task Deleting_a_queue_with_active_runs_is_refused()
    {
        await SetUpAsync();
        var run = await LaunchAsync();

        await Assert.ThrowsAsync<ConflictException>(() => Queues.DeleteQueueAsync(_team.Admin, _team.Slug, "gpu"));
        await Assert.ThrowsAsync<ConflictException>(() => Jobs.DeleteJobAsync(_team.Admin, _team.Slug, "train"));
        await Runs.CancelAsync(_team.Member, _team.Slug, run.Id);
        await Queues.DeleteQueueAsync(_team.Admin, _team.Slug, "gpu");
        Assert.Empty(await Queues.ListQueuesAsync(_team.Admin, _team.Slug));
    }

    private async Task<int> CreateLaunchAutomationAsync(string? overrides)
    {
        var automation = await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", new AutomationInput(
            "Retrain on production", null, ArtifactEventTypes.AddArtifactAlias, "model", "production", ActionTypes.Job, null, null,
            Job: "train", Queue: "gpu", DestinationProject: "training", Overrides: overrides));
        Assert.Equal(("train:latest", "gpu"), (automation.Summary.ActionName, automation.Summary.Queue));
        return automation.Summary.Id;
    }

    private async Task<long> AddProductionAliasAsync()
    {
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "model", new LogVersionRequest());
        var before = _services.Queue.Enqueued.Count;
        await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "model", "v0", "production");
        Assert.Equal(before + 1, _services.Queue.Enqueued.Count);
        var runId = _services.Queue.Enqueued.Last();
        await _services.DeliverAsync(runId);
        return runId;
    }

    [Fact]
    public async Task A_launch_automation_queues_one_run_with_rendered_overrides_recorded_in_its_history()
    {
        await SetUpAsync();
        var automationId = await CreateLaunchAutomationAsync("""{"learning_rate": 0.01, "model": "${artifact_version_string}", "optimizer": {"name": "sgd"}}""");

        var runId = await AddProductionAliasAsync();

        var history = await _services.Get<DispatchService>().GetRunAsync(_team.Member, _team.Slug, "vision", runId);
        Assert.Equal((RunStatus.Succeeded, "job", "gpu"), (history.Run.Status, history.Run.ActionType, history.Run.QueueName));
        var launchId = Assert.Single(history.LaunchRunIds);
        Assert.Equal(AttemptOutcome.Succeeded, Assert.Single(history.Attempts).Outcome);
        var launch = await Runs.GetRunAsync(_team.Member, _team.Slug, launchId);
        Assert.Equal((LaunchRunStatus.Queued, "training", automationId, "gpu"), (launch.Run.Status, launch.Run.Project, launch.Run.AutomationId, launch.Run.Queue));
        Assert.Equal("""{"learning_rate":0.01,"optimizer":{"name":"sgd","beta":0.9},"model":"acme/vision/model:production"}""", launch.Config!.ToJsonString());
    }

    [Fact]
    public async Task A_launch_automation_whose_job_was_deleted_fails_its_run_and_shows_as_broken()
    {
        await SetUpAsync();
        await CreateLaunchAutomationAsync(null);
        await Jobs.DeleteJobAsync(_team.Admin, _team.Slug, "train");

        var runId = await AddProductionAliasAsync();

        var history = await _services.Get<DispatchService>().GetRunAsync(_team.Member, _team.Slug, "vision", runId);
        Assert.Equal(RunStatus.Failed, history.Run.Status);
        Assert.Contains("The job 'train' was deleted", history.Run.LastError);
        Assert.Empty(history.LaunchRunIds);
        var listed = Assert.Single(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
        Assert.Contains("job 'train' was deleted", listed.Problem);
    }

    [Fact]
    public async Task A_launch_automation_whose_queue_was_deleted_fails_its_run_with_the_reason()
    {
        await SetUpAsync();
        await CreateLaunchAutomationAsync(null);
        await Queues.DeleteQueueAsync(_team.Admin, _team.Slug, "gpu");

        var runId = await AddProductionAliasAsync();

        var history = await _services.Get<DispatchService>().GetRunAsync(_team.Member, _team.Slug, "vision", runId);
        Assert.Equal(RunStatus.Failed, history.Run.Status);
        Assert.Contains("The queue 'gpu' was deleted", history.Run.LastError);
        Assert.Empty(history.LaunchRunIds);
    }

    public static TheoryData<string, AutomationInput> BadLaunchAutomations => new()
    {
        { "job", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "nope", Queue: "gpu") },
        { "jobVersion", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "train", JobVersion: 7, Queue: "gpu") },
        { "queue", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "train", Queue: "nope") },
        { "destinationProject", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "train", Queue: "gpu", DestinationProject: "nope") },
        { "overrides", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "train", Queue: "gpu", Overrides: "[1, 2]") },
        { "overrides", new("x", null, ArtifactEventTypes.AddArtifactAlias, null, "production", ActionTypes.Job, null, null, Job: "train", Queue: "gpu", Overrides: """{"token": "${HF_TOKEN}"}""") },
    };

    [Theory]
    [MemberData(nameof(BadLaunchAutomations))]
    public async Task Bad_launch_automation_input_names_the_field(string field, AutomationInput input)
    {
        await SetUpAsync();

        var ex = await Assert.ThrowsAsync<InputException>(() => _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", input));

        Assert.Equal(field, ex.Field);
        Assert.Empty(await _services.Get<AutomationService>().ListAsync(_team.Member, _team.Slug, "vision"));
    }
}

/// <summary>Every test of <see cref="LaunchServiceTests"/>, on PostgreSQL.</summary>
public sealed class LaunchServicePostgresTests : LaunchServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
