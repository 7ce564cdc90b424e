using Automations.Features.ApiKeys;
using System.Text.Json;
using System.Text.Json.Nodes;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Audit;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Secrets;
using Automations.Features.Slack;
using Automations.Features.Teams;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Features.Audit;

/// <summary>What each area's changes write to the audit log, over a real SQLite file (<see cref="AuditLogPostgresTests"/>: PostgreSQL).</summary>
public class AuditLogTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private int _teamId;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(provider: Provider);
        _services.Resolver.Map("hooks.example.com", "93.184.216.34");
        _team = await _services.CreateTeamAsync();
        _teamId = (await _services.Get<TeamService>().GetAccessAsync(_team.Admin, _team.Slug)).TeamId;
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private T Get<T>() where T : notnull => _services.Get<T>();

    /// <summary>The team's entries, oldest first, after <paramref name="afterId"/>.</summary>
    private async Task<List<AuditEntry>> EntriesAsync(long afterId = 0)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return await db.AuditEntries.Where(e => e.TeamId == _teamId && e.Id > afterId).OrderBy(e => e.Id).ToListAsync();
    }

    private async Task<long> LastIdAsync() => (await EntriesAsync()).Select(e => e.Id).DefaultIfEmpty().Max();

    /// <summary>Every audit row of every team, as text: to show that a value appears nowhere in the log.</summary>
    private async Task<string> WholeLogAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return JsonSerializer.Serialize(await db.AuditEntries.ToListAsync());
    }

    private static JsonObject Details(AuditEntry entry) => JsonNode.Parse(entry.Details!)!.AsObject();

    [Fact]
    public async Task Creating_the_team_and_managing_members_records_who_did_what_to_whom()
    {
        var teams = Get<TeamService>();
        var extra = await _services.CreateUserAsync("carol");
        var before = await LastIdAsync();

        await teams.AddMemberAsync(_team.Admin, _team.Slug, "carol", TeamRole.Member);
        await teams.ChangeRoleAsync(_team.Admin, _team.Slug, extra.UserId, TeamRole.Admin);
        await teams.RemoveMemberAsync(_team.Admin, _team.Slug, extra.UserId);

        var entries = await EntriesAsync(before);
        Assert.Equal([AuditActions.MemberAdded, AuditActions.MemberRoleChanged, AuditActions.MemberRemoved], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((AuditTargets.Member, extra.UserId, "carol", _team.Admin.UserId, _team.Admin.UserName),
            (e.TargetType, e.TargetId, e.TargetName, e.ActorUserId, e.ActorName)));
        Assert.Equal("Member", Details(entries[1])["role"]!["from"]!.GetValue<string>());
        Assert.Equal("Admin", Details(entries[1])["role"]!["to"]!.GetValue<string>());
        Assert.Equal(_services.Clock.GetUtcNow(), entries[0].At);
        var created = (await EntriesAsync()).First();
        Assert.Equal((AuditActions.TeamCreated, _team.Slug), (created.Action, created.TargetId));
    }

    [Fact]
    public async Task Secret_changes_are_recorded_by_name_and_the_value_appears_nowhere_in_the_log()
    {
        var secrets = Get<SecretService>();
        await secrets.CreateAsync(_team.Admin, _team.Slug, "DEPLOY_TOKEN", "first-value-never-logged-1");
        await secrets.ReplaceAsync(_team.Admin, _team.Slug, "DEPLOY_TOKEN", "second-value-never-logged-2");
        await secrets.DeleteAsync(_team.Admin, _team.Slug, "DEPLOY_TOKEN");

        var entries = (await EntriesAsync()).Where(e => e.TargetType == AuditTargets.Secret).ToList();
        Assert.Equal([AuditActions.SecretCreated, AuditActions.SecretValueReplaced, AuditActions.SecretDeleted], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal("DEPLOY_TOKEN", e.TargetName));
        var log = await WholeLogAsync();
        Assert.DoesNotContain("never-logged", log);
    }

    [Fact]
    public async Task Service_keys_and_team_limited_personal_keys_are_recorded_by_prefix_and_the_key_appears_nowhere()
    {
        var service = await Get<ServiceKeyService>().CreateAsync(_team.Admin, _team.Slug, new ServiceKeyInput("ci"));
        var personal = await Get<ApiKeyService>().CreateAsync(_team.Member, new ApiKeyInput("laptop", _team.Slug, KeyPermission.Artifacts));
        await Get<ApiKeyService>().CreateAsync(_team.Member, new ApiKeyInput("everywhere"));
        await Get<ServiceKeyService>().RevokeAsync(_team.Admin, _team.Slug, service.Summary.Id);
        await Get<ApiKeyService>().RevokeAsync(_team.Member, personal.Summary.Id);

        var entries = (await EntriesAsync()).Where(e => e.TargetType == AuditTargets.ApiKey).ToList();
        // A personal key with no team limit reaches every team of its owner: each of them records it.
        Assert.Equal([(AuditActions.KeyCreated, "ci"), (AuditActions.KeyCreated, "laptop"), (AuditActions.KeyCreated, "everywhere"), (AuditActions.KeyRevoked, "ci"),
            (AuditActions.KeyRevoked, "laptop")], entries.Select(e => (e.Action, e.TargetName)));
        Assert.True(Details(entries[2])["allTeams"]!.GetValue<bool>());
        Assert.Equal([service.Summary.Prefix, personal.Summary.Prefix, service.Summary.Prefix, personal.Summary.Prefix],
            entries.Where(e => e.TargetName != "everywhere").Select(e => e.TargetId));
        var log = await WholeLogAsync();
        Assert.DoesNotContain(service.Key, log);
        Assert.DoesNotContain(personal.Key, log);
    }

    [Fact]
    public async Task Tests_of_webhooks_and_Slack_are_recorded_with_where_a_drafts_secrets_went()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        _services.Resolver.Map("localhost", "127.0.0.1");
        await Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "SIGNING", "signing-value-never-logged");
        var webhooks = Get<WebhookService>();
        var hook = await webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", receiver.Url("/ci"), "SIGNING", null));
        var slack = await Get<SlackService>().CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput("Alerts", "#ml", WebhookUrl: receiver.Url("/slack")));
        var before = await LastIdAsync();

        await webhooks.TestAsync(_team.Admin, _team.Slug, hook.Id, "{}");
        await webhooks.TestDraftAsync(_team.Admin, _team.Slug, new WebhookInput("Draft", receiver.Url("/draft"), "SIGNING", null), "{}");
        await Get<SlackService>().TestAsync(_team.Admin, _team.Slug, slack.Id);

        Assert.Equal(3, receiver.Received.Count);
        var entries = await EntriesAsync(before);
        Assert.Equal([(AuditActions.WebhookTested, "CI"), (AuditActions.WebhookTested, "Draft"), (AuditActions.SlackTested, "Alerts")],
            entries.Select(e => (e.Action, e.TargetName)));
        Assert.Equal((receiver.Url("/draft"), "SIGNING"), (Details(entries[1])["url"]!.GetValue<string>(), Details(entries[1])["secret"]!.GetValue<string>()));
        Assert.DoesNotContain("never-logged", await WholeLogAsync());
    }

    [Fact]
    public async Task A_webhook_the_app_disables_by_itself_is_recorded_as_the_systems_doing()
    {
        await using var receiver = await LoopbackReceiver.StartAsync();
        receiver.Respond = context =>
        {
            context.Response.StatusCode = 410;
            return Task.CompletedTask;
        };
        _services.Resolver.Map("localhost", "127.0.0.1");
        var scenario = await _services.Provider.WebhookAutomationAsync(_team, receiver.Url("/gone"));
        await _services.Provider.LogVersionAsync(_team);
        var before = await LastIdAsync();

        await _services.DeliverAsync((await Get<DispatchService>().ListRunsAsync(_team.Member, _team.Slug, "vision")).Items.Single().Id);

        var entry = Assert.Single(await EntriesAsync(before));
        Assert.Equal((AuditActions.WebhookDisabled, scenario.WebhookId.ToString(System.Globalization.CultureInfo.InvariantCulture), "Receiver"),
            (entry.Action, entry.TargetId, entry.TargetName));
        Assert.Equal(((string?)null, AuditLog.SystemActor, AuditLog.SystemVia), (entry.ActorUserId, entry.ActorName, entry.Via));
        Assert.Contains("410", Details(entry)["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Agents_are_recorded_and_deleting_their_queue_revokes_its_agent_keys_on_the_record()
    {
        await Get<QueueService>().CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu"));
        var agentKey = await Get<ServiceKeyService>().CreateAsync(_team.Admin, _team.Slug, new ServiceKeyInput("gpu-box", KeyPermission.Agent, "gpu"));
        var agent = await Get<AgentService>().RegisterAgentAsync(_team.Admin, _team.Slug, new AgentRegistration("gpu", "box-1"));
        var before = await LastIdAsync();

        await Get<QueueService>().DeleteQueueAsync(_team.Admin, _team.Slug, "gpu");

        Assert.Contains(await EntriesAsync(), e => (e.Action, e.TargetId, e.TargetName) ==
            (AuditActions.AgentRegistered, agent.AgentId.ToString(System.Globalization.CultureInfo.InvariantCulture), "box-1"));
        var entries = await EntriesAsync(before);
        Assert.Equal([(AuditActions.KeyRevoked, agentKey.Summary.Prefix), (AuditActions.QueueDeleted, "gpu")], entries.Select(e => (e.Action, e.TargetId)));
        Assert.Contains("'gpu' was deleted", Details(entries[0])["reason"]!.GetValue<string>());
        // The key is still listed, revoked, and refused.
        var listed = Assert.Single(await Get<ServiceKeyService>().ListAsync(_team.Admin, _team.Slug));
        Assert.NotNull(listed.RevokedAt);
        Assert.Null((await Get<ApiKeyService>().AuthenticateAsync(agentKey.Key)).Actor);
    }

    [Fact]
    public async Task A_removed_member_s_team_keys_are_revoked_and_stay_revoked_when_they_are_added_again()
    {
        var teams = Get<TeamService>();
        var key = await Get<ApiKeyService>().CreateAsync(_team.Member, new ApiKeyInput("laptop", _team.Slug, KeyPermission.Artifacts));
        var before = await LastIdAsync();

        await teams.RemoveMemberAsync(_team.Admin, _team.Slug, _team.Member.UserId);
        await teams.AddMemberAsync(_team.Admin, _team.Slug, _team.Member.UserName, TeamRole.Member);

        Assert.Equal([AuditActions.KeyRevoked, AuditActions.MemberRemoved, AuditActions.MemberAdded], (await EntriesAsync(before)).Select(e => e.Action));
        Assert.Null((await Get<ApiKeyService>().AuthenticateAsync(key.Key)).Actor);
    }

    [Fact]
    public async Task Deleting_an_account_leaves_each_team_on_the_record_but_a_teams_only_admin_must_hand_it_over_to_its_members_first()
    {
        var teams = Get<TeamService>();
        var before = await LastIdAsync();

        var refused = await Assert.ThrowsAsync<ConflictException>(() => teams.LeaveAllTeamsAsync(_team.Admin, "account deleted"));
        Assert.Contains($"only admin of team '{_team.Slug}'", refused.Message);
        Assert.Empty(await EntriesAsync(before));

        await teams.LeaveAllTeamsAsync(_team.Member, "account deleted");
        var entry = Assert.Single(await EntriesAsync(before));
        Assert.Equal((AuditActions.MemberRemoved, _team.Member.UserId, _team.Member.UserId), (entry.Action, entry.TargetId, entry.ActorUserId));
        Assert.Equal("account deleted", Details(entry)["reason"]!.GetValue<string>());

        // Alone in the team now: nobody is left without an admin, so the admin may leave it too.
        await teams.LeaveAllTeamsAsync(_team.Admin, "account deleted");
        Assert.Equal([_team.Member.UserId, _team.Admin.UserId], (await EntriesAsync(before)).Select(e => e.TargetId));
    }

    [Fact]
    public async Task Setting_a_role_a_member_already_has_records_nothing()
    {
        var before = await LastIdAsync();

        await Get<TeamService>().ChangeRoleAsync(_team.Admin, _team.Slug, _team.Member.UserId, TeamRole.Member);

        Assert.Empty(await EntriesAsync(before));
    }

    [Fact]
    public async Task A_refused_change_records_nothing()
    {
        var before = await LastIdAsync();

        await Assert.ThrowsAsync<ForbiddenException>(() => Get<SecretService>().CreateAsync(_team.Member, _team.Slug, "X", "v"));
        await Assert.ThrowsAsync<NotFoundException>(() => Get<WebhookService>().CreateAsync(_team.Outsider, _team.Slug, new WebhookInput("w", "https://hooks.example.com/", null, null)));
        await Assert.ThrowsAsync<ConflictException>(() => Get<TeamService>().RemoveMemberAsync(_team.Admin, _team.Slug, _team.Admin.UserId));
        await Assert.ThrowsAsync<InputException>(() => Get<QueueService>().CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("q", ResourceType: "nope")));

        Assert.Empty(await EntriesAsync(before));
    }

    [Fact]
    public async Task A_created_row_whose_entry_cannot_be_written_is_not_kept()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        db.Teams.Add(new Team { Slug = "half-written", Name = "Half", CreatedAt = _services.Clock.GetUtcNow() });

        await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveThenRecordAsync(() => throw new InvalidOperationException("no entry"), default));

        await using var check = await _services.DbFactory.CreateDbContextAsync();
        Assert.False(await check.Teams.AnyAsync(t => t.Slug == "half-written"));
    }

    [Fact]
    public async Task Webhook_changes_record_the_fields_that_changed_and_who_changed_them()
    {
        var webhooks = Get<WebhookService>();
        await Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "SIGNING", "signing-value-never-logged");
        var hook = await webhooks.CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/a", null, null));
        await webhooks.UpdateAsync(_team.Admin, _team.Slug, hook.Id, new WebhookInput("CI", "https://hooks.example.com/b", "SIGNING", null));
        await webhooks.EnableAsync(_team.Admin, _team.Slug, hook.Id);
        await webhooks.DeleteAsync(_team.Admin, _team.Slug, hook.Id);

        var entries = (await EntriesAsync()).Where(e => e.TargetType == AuditTargets.Webhook).ToList();
        Assert.Equal([AuditActions.WebhookCreated, AuditActions.WebhookUpdated, AuditActions.WebhookEnabled, AuditActions.WebhookDeleted], entries.Select(e => e.Action));
        Assert.All(entries, e => Assert.Equal((hook.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "CI"), (e.TargetId, e.TargetName)));
        Assert.Equal("https://hooks.example.com/a", Details(entries[0])["url"]!.GetValue<string>());
        var changes = Details(entries[1]);
        Assert.Equal(["url", "secretId"], changes.Select(p => p.Key));
        Assert.Equal("https://hooks.example.com/b", changes["url"]!["to"]!.GetValue<string>());
        Assert.DoesNotContain("never-logged", await WholeLogAsync());
    }

    [Fact]
    public async Task Slack_changes_say_the_credential_changed_without_recording_it()
    {
        var slack = Get<SlackService>();
        var integration = await slack.CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput("Alerts", "#ml", BotToken: "xoxb-first-token-never-logged"));
        await slack.UpdateAsync(_team.Admin, _team.Slug, integration.Id, new SlackIntegrationInput("Alerts", "#ml-alerts", BotToken: "xoxb-second-token-never-logged"));
        await slack.DeleteAsync(_team.Admin, _team.Slug, integration.Id);

        var entries = (await EntriesAsync()).Where(e => e.TargetType == AuditTargets.Slack).ToList();
        Assert.Equal([AuditActions.SlackCreated, AuditActions.SlackUpdated, AuditActions.SlackDeleted], entries.Select(e => e.Action));
        var changes = Details(entries[1]);
        Assert.Equal("#ml-alerts", changes["channel"]!["to"]!.GetValue<string>());
        Assert.Equal("changed", changes["credential"]!.GetValue<string>());
        Assert.DoesNotContain("never-logged", await WholeLogAsync());
    }

    [Fact]
    public async Task Automation_changes_in_a_project_by_a_member_and_team_wide_by_an_admin_are_recorded()
    {
        var hook = await Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("CI", "https://hooks.example.com/ci", null, null));
        await Get<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await Get<ArtifactService>().CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        var automations = Get<AutomationService>();
        AutomationInput Input(string name, string? collection = "eval-set") =>
            new(name, null, ArtifactEventTypes.LinkArtifact, collection, null, ActionTypes.Webhook, hook.Id, PayloadPresets.Default.Template);

        var inProject = await automations.CreateAsync(_team.Member, _team.Slug, "vision", Input("Notify"));
        await automations.UpdateAsync(_team.Member, _team.Slug, "vision", inProject.Summary.Id, Input("Notify CI"));
        await automations.SetEnabledAsync(_team.Member, _team.Slug, "vision", inProject.Summary.Id, false);
        await automations.SetEnabledAsync(_team.Member, _team.Slug, "vision", inProject.Summary.Id, true);
        await automations.DeleteAsync(_team.Member, _team.Slug, "vision", inProject.Summary.Id);
        var teamWide = await automations.CreateAsync(_team.Admin, _team.Slug, null, Input("Everywhere", collection: null));

        var entries = (await EntriesAsync()).Where(e => e.TargetType == AuditTargets.Automation).ToList();
        Assert.Equal([AuditActions.AutomationCreated, AuditActions.AutomationUpdated, AuditActions.AutomationDisabled, AuditActions.AutomationEnabled,
            AuditActions.AutomationDeleted, AuditActions.AutomationCreated], entries.Select(e => e.Action));
        Assert.All(entries.Take(5), e => Assert.Equal((_team.Member.UserName, "vision"), (e.ActorName, Details(e)["project"]!.GetValue<string>())));
        Assert.Equal("Notify", Details(entries[1])["name"]!["from"]!.GetValue<string>());
        Assert.Equal("Notify CI", entries[1].TargetName);
        Assert.Equal((teamWide.Summary.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "team"),
            (entries[5].TargetId, Details(entries[5])["scope"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Jobs_queues_and_manual_launches_are_recorded_without_environment_values()
    {
        await Get<ArtifactService>().CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        var jobs = Get<JobService>();
        await Get<QueueService>().CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("gpu"));
        await jobs.CreateJobAsync(_team.Admin, _team.Slug, new JobInput("train", null, new JobVersionInput("python",
            ["train.py", "--token=typed-in-argument-never-logged"], Environment: new Dictionary<string, string> { ["API_TOKEN"] = "typed-in-value-never-logged" })));
        await jobs.AddVersionAsync(_team.Admin, _team.Slug, "train", new JobVersionInput("python3"));
        var run = await Get<LaunchRunService>().LaunchAsync(_team.Member, _team.Slug, "gpu", new LaunchRequest("train", null, "vision"));
        await Get<LaunchRunService>().CancelAsync(_team.Member, _team.Slug, run.Id);
        await Get<QueueService>().DeleteQueueAsync(_team.Admin, _team.Slug, "gpu");
        await jobs.DeleteJobAsync(_team.Admin, _team.Slug, "train");

        var entries = (await EntriesAsync()).Where(e => e.Action != AuditActions.TeamCreated && e.Action != AuditActions.MemberAdded).ToList();
        Assert.Equal([AuditActions.QueueCreated, AuditActions.JobCreated, AuditActions.JobVersionAdded, AuditActions.LaunchStarted, AuditActions.LaunchCancelled,
            AuditActions.QueueDeleted, AuditActions.JobDeleted], entries.Select(e => e.Action));
        Assert.Equal(["API_TOKEN"], Details(entries[1])["environment"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(1, Details(entries[2])["version"]!.GetValue<int>());
        Assert.Equal((AuditTargets.LaunchRun, run.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), _team.Member.UserName),
            (entries[3].TargetType, entries[3].TargetId, entries[3].ActorName));
        Assert.DoesNotContain("never-logged", await WholeLogAsync());
    }

    [Fact]
    public async Task A_redelivery_and_a_recover_are_recorded_and_a_refused_redelivery_is_not()
    {
        var scenario = await _services.Provider.WebhookAutomationAsync(_team, "https://hooks.example.com/ci");
        await _services.Provider.LogVersionAsync(_team);
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            await db.AutomationRuns.ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed));
        }

        var runId = (await Get<DispatchService>().ListRunsAsync(_team.Member, _team.Slug, "vision")).Items.Single().Id;
        var before = await LastIdAsync();
        await Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId);
        await Assert.ThrowsAsync<ConflictException>(() => Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId));
        await Get<DispatchService>().RecoverAsync(_team.Admin, _team.Slug, scenario.WebhookId, _services.Clock.GetUtcNow().AddHours(-1));

        var entries = await EntriesAsync(before);
        Assert.Equal([AuditActions.RunRedelivered, AuditActions.WebhookRecovered], entries.Select(e => e.Action));
        Assert.Equal((runId.ToString(System.Globalization.CultureInfo.InvariantCulture), "Notify", _team.Member.UserName),
            (entries[0].TargetId, entries[0].TargetName, entries[0].ActorName));
        Assert.Equal(0, Details(entries[1])["queued"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_origin_of_the_actor_is_recorded_and_a_long_user_agent_is_cut()
    {
        var actor = _team.Admin with { Origin = new ActorOrigin("203.0.113.9", new string('x', 1000), ActorOrigin.ApiKey("ak_12345678")) };

        await Get<QueueService>().CreateQueueAsync(actor, _team.Slug, new QueueInput("cpu"));

        var entry = (await EntriesAsync()).Last();
        Assert.Equal(("203.0.113.9", "api key ak_12345678", AuditEntry.MaxUserAgentLength), (entry.IpAddress, entry.Via, entry.UserAgent!.Length));
    }

    [Fact]
    public async Task Entries_cannot_be_changed_or_deleted_through_the_application()
    {
        await Get<QueueService>().CreateQueueAsync(_team.Admin, _team.Slug, new QueueInput("cpu"));
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var entry = await db.AuditEntries.OrderBy(e => e.Id).LastAsync();

        entry.ActorName = "someone else";
        var changed = await Assert.ThrowsAsync<InvalidOperationException>(() => db.SaveChangesAsync());
        Assert.Contains("append-only", changed.Message);
        await using (var other = await _services.DbFactory.CreateDbContextAsync())
        {
            other.AuditEntries.Remove(await other.AuditEntries.SingleAsync(e => e.Id == entry.Id));
            Assert.Throws<InvalidOperationException>(() => other.SaveChanges());
        }

        await using var check = await _services.DbFactory.CreateDbContextAsync();
        Assert.Equal(_team.Admin.UserName, (await check.AuditEntries.SingleAsync(e => e.Id == entry.Id)).ActorName);
    }
}

public sealed class AuditLogPostgresTests : AuditLogTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
