using System.Text.Json;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Secrets;
using Automations.Features.Slack;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Features.Slack;

/// <summary>The Slack notification action end to end over a real SQLite file and a fake Slack on a loopback socket.</summary>
public class SlackActionTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private FakeSlack _slack = null!;

    public async ValueTask InitializeAsync()
    {
        _slack = await FakeSlack.StartAsync();
        _services = await TestServices.CreateAsync(new Dictionary<string, string?>
        {
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Outbound:RequestTimeout"] = "00:00:03",
            ["Slack:ApiBaseUrl"] = _slack.ApiBaseUrl,
        });
        _services.Resolver.Map("localhost", "127.0.0.1");
        _team = await _services.CreateTeamAsync();
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
    }

    public async ValueTask DisposeAsync()
    {
        await _slack.DisposeAsync();
        await _services.DisposeAsync();
    }

    private ArtifactService Artifacts => _services.Get<ArtifactService>();

    private SlackService Slack => _services.Get<SlackService>();

    private Task<SlackIntegrationSummary> WebhookIntegrationAsync(string name = "alerts") =>
        Slack.CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput(name, "#ml-alerts", WebhookUrl: _slack.WebhookUrl));

    private Task<SlackIntegrationSummary> BotIntegrationAsync(string channel = FakeSlack.Channel) =>
        Slack.CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput("bot", channel, BotToken: FakeSlack.BotToken));

    private static AutomationInput SlackAutomation(string integration, string title = "New ${artifact_collection_name} version", string text = "*${artifact_version_string}* by ${event_author}, accuracy ${artifact_metadata.accuracy}") =>
        new("Tell Slack", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, SlackAction.TypeName, null, null,
            Action: JsonSerializer.SerializeToElement(new { integration, title, text }));

    private async Task<long> LogVersionAsync()
    {
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set",
            new LogVersionRequest(Metadata: JsonDocument.Parse("{\"accuracy\": 0.93}").RootElement));
        return _services.Queue.Enqueued.Last();
    }

    private Task RunJobAsync(long runId) => _services.DeliverAsync(runId);

    private Task<AutomationRun> RunAsync(long runId) => _services.StoredRunAsync(runId);

    [Fact]
    public async Task Admins_add_integrations_members_see_them_without_the_credential_and_cannot_change_them()
    {
        var hook = await WebhookIntegrationAsync();
        var bot = await BotIntegrationAsync();

        var listed = await Slack.ListAsync(_team.Member, _team.Slug);
        Assert.Equal(["alerts", "bot"], listed.Select(s => s.Name));
        Assert.Equal((SlackDeliveryKinds.IncomingWebhook, SlackDeliveryKinds.BotToken), (hook.Kind, bot.Kind));
        Assert.Equal($"http://localhost:{new Uri(_slack.WebhookUrl).Port}/services/••••", hook.CredentialHint);
        Assert.Equal("xoxb-••••", bot.CredentialHint);
        var shown = JsonSerializer.Serialize(listed);
        Assert.DoesNotContain("s3cr3t", shown);

        await Assert.ThrowsAsync<ForbiddenException>(() => Slack.CreateAsync(_team.Member, _team.Slug, new SlackIntegrationInput("mine", "#x", BotToken: "xoxb-1")));
        await Assert.ThrowsAsync<ForbiddenException>(() => Slack.DeleteAsync(_team.Member, _team.Slug, hook.Id));
        await Assert.ThrowsAsync<NotFoundException>(() => Slack.ListAsync(_team.Outsider, _team.Slug));

        // The credential is stored encrypted, not as typed.
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        Assert.All(await db.SlackIntegrations.Select(s => s.ProtectedCredential).ToListAsync(), c => Assert.DoesNotContain("s3cr3t", c));
    }

    [Theory]
    [InlineData("https://hooks.example.com/services/x", "xoxb-1", "webhookUrl")]
    [InlineData(null, null, "webhookUrl")]
    [InlineData(null, "not-a-token", "botToken")]
    [InlineData(null, "xoxb-with space", "botToken")]
    [InlineData("ftp://hooks.slack.com/services/x", null, "webhookUrl")]
    [InlineData("http://10.0.0.8/services/x", null, "webhookUrl")]
    public async Task An_integration_needs_exactly_one_valid_credential(string? url, string? token, string field)
    {
        var error = await Assert.ThrowsAsync<InputException>(() => Slack.CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput("alerts", "#ml", url, token)));
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task A_new_version_posts_the_rendered_message_to_the_incoming_webhook_and_history_never_shows_its_secret_path()
    {
        await WebhookIntegrationAsync();
        var automation = await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts"));
        Assert.Equal(("Slack", "alerts (#ml-alerts)", null), (automation.Summary.ActionDisplay, automation.Summary.ActionName, automation.Summary.Problem));
        var runId = await LogVersionAsync();

        await RunJobAsync(runId);

        var posted = Assert.Single(_slack.Posted);
        var request = _slack.Received.Single();
        Assert.StartsWith("application/json", request.Headers["Content-Type"]);
        var blocks = posted.GetProperty("blocks");
        Assert.Equal("New eval-set version", blocks[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Equal($"*{_team.Slug}/vision/eval-set:v0* by {_team.Member.UserName}, accuracy 0.93", blocks[1].GetProperty("text").GetProperty("text").GetString());
        Assert.Contains("New eval-set version", posted.GetProperty("text").GetString());
        Assert.False(posted.TryGetProperty("channel", out _));

        var run = await RunAsync(runId);
        var attempt = Assert.Single(run.Attempts);
        Assert.Equal((RunStatus.Succeeded, 200, "ok"), (run.Status, attempt.ResponseStatus, attempt.ResponseBody));
        Assert.Equal("Slack #ml-alerts (alerts)", run.Action.Target);
        var stored = JsonSerializer.Serialize(new { attempt.RequestUrl, attempt.RequestBody, attempt.RequestHeadersJson, attempt.ResponseHeadersJson, attempt.Error, run.LastError });
        Assert.DoesNotContain("s3cr3t", stored);
        Assert.EndsWith("/services/••••", attempt.RequestUrl);
    }

    [Fact]
    public async Task A_bot_token_posts_with_chat_postMessage_to_the_channel_and_the_token_is_redacted()
    {
        await BotIntegrationAsync();
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("bot"));
        var runId = await LogVersionAsync();

        await RunJobAsync(runId);

        var posted = Assert.Single(_slack.Posted);
        Assert.Equal(FakeSlack.Channel, posted.GetProperty("channel").GetString());
        Assert.Equal("/api/chat.postMessage", _slack.Received.Single().Path);
        Assert.Equal("application/json; charset=utf-8", _slack.Received.Single().Headers["Content-Type"]);
        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        var headers = JsonSerializer.Deserialize<List<KeyValuePair<string, string>>>(run.Attempts.Single().RequestHeadersJson)!;
        Assert.Equal("Bearer [redacted]", headers.Single(h => h.Key == "Authorization").Value);
        var attempt = run.Attempts.Single();
        Assert.DoesNotContain("s3cr3t", string.Join("\n", attempt.RequestUrl, attempt.RequestBody, attempt.RequestHeadersJson, attempt.ResponseHeadersJson, attempt.ResponseBody));
    }

    [Fact]
    public async Task Slack_rate_limits_are_retried_after_the_time_slack_asks_for_then_delivered()
    {
        await WebhookIntegrationAsync();
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts"));
        var runId = await LogVersionAsync();
        _slack.Script.Enqueue((429, "rate_limited", 7));

        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Retrying, run.Status);
        Assert.Equal(_services.Clock.GetUtcNow().AddSeconds(7), run.NextAttemptAt);
        Assert.Contains("rate limiting", run.Attempts.Single().Error);

        _services.Clock.Advance(TimeSpan.FromSeconds(7));
        await RunJobAsync(runId);
        run = await RunAsync(runId);
        Assert.Equal((RunStatus.Succeeded, 2), (run.Status, run.Attempts.Count));
        Assert.Single(_slack.Posted);
    }

    [Fact]
    public async Task A_ratelimited_answer_in_the_body_is_retried_and_a_refusal_fails_the_run_with_what_to_do()
    {
        await BotIntegrationAsync(channel: "C-GONE");
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("bot"));
        var runId = await LogVersionAsync();
        _slack.Script.Enqueue((200, """{"ok":false,"error":"ratelimited"}""", 3));

        await RunJobAsync(runId);
        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Retrying, run.Status);
        Assert.Equal(_services.Clock.GetUtcNow().AddSeconds(3), run.NextAttemptAt);

        _services.Clock.Advance(TimeSpan.FromSeconds(3));
        await RunJobAsync(runId);
        run = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("channel_not_found", run.LastError);
        Assert.Contains("check the channel", run.LastError);
        Assert.Empty(_slack.Posted);
    }

    [Fact]
    public async Task A_failed_run_is_redelivered_through_the_same_engine()
    {
        await WebhookIntegrationAsync();
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts"));
        var runId = await LogVersionAsync();
        _slack.Script.Enqueue((404, "no_service", null));
        await RunJobAsync(runId);
        Assert.Equal(RunStatus.Failed, (await RunAsync(runId)).Status);
        Assert.Contains("no longer valid", (await RunAsync(runId)).LastError);

        await _services.Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId);
        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal((RunStatus.Succeeded, 2), (run.Status, run.Attempts.Count));
        Assert.True(run.Attempts.Last().Manual);
    }

    [Fact]
    public async Task Messages_are_checked_at_save_secrets_are_refused_and_a_deleted_integration_breaks_the_automation()
    {
        var integration = await WebhookIntegrationAsync();
        await _services.Get<SecretService>().CreateAsync(_team.Admin, _team.Slug, "API_TOKEN", "secret-value");
        var automations = _services.Get<AutomationService>();

        var secret = await Assert.ThrowsAsync<InputException>(() => automations.CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts", text: "token ${API_TOKEN}")));
        Assert.Equal("text", secret.Field);
        Assert.Contains("everyone in the channel", secret.Message);
        Assert.Equal("integration", (await Assert.ThrowsAsync<InputException>(() => automations.CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("nope")))).Field);
        Assert.Equal("title", (await Assert.ThrowsAsync<InputException>(() => automations.CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts", title: " ")))).Field);
        Assert.Equal("text", (await Assert.ThrowsAsync<InputException>(() => automations.CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts", text: "${nope}")))).Field);

        var created = await automations.CreateAsync(_team.Member, _team.Slug, "vision", SlackAutomation("alerts"));
        var settings = JsonSerializer.SerializeToElement(created.Action, JsonSerializerOptions.Web);
        Assert.Equal(("alerts", "New ${artifact_collection_name} version"), (settings.GetProperty("integration").GetString(), settings.GetProperty("title").GetString()));
        var runId = await LogVersionAsync();

        await Slack.DeleteAsync(_team.Admin, _team.Slug, integration.Id);

        var listed = Assert.Single(await automations.ListAsync(_team.Member, _team.Slug, "vision"));
        Assert.Contains("Slack integration 'alerts' was deleted", listed.Problem);
        await RunJobAsync(runId);
        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("was deleted", run.LastError);
        Assert.Empty(_slack.Received);
    }

    [Fact]
    public async Task The_test_button_posts_a_message_and_says_what_slack_answered()
    {
        var hook = await WebhookIntegrationAsync();
        var bot = await Slack.CreateAsync(_team.Admin, _team.Slug, new SlackIntegrationInput("revoked", FakeSlack.Channel, BotToken: "xoxb-revoked"));

        var ok = await Slack.TestAsync(_team.Admin, _team.Slug, hook.Id);
        var refused = await Slack.TestAsync(_team.Admin, _team.Slug, bot.Id);

        Assert.Equal((true, 200), (ok.Ok, ok.StatusCode));
        Assert.False(refused.Ok);
        Assert.Contains("invalid_auth", refused.Error);
        Assert.Contains("no longer valid", refused.Error);
        await Assert.ThrowsAsync<ForbiddenException>(() => Slack.TestAsync(_team.Member, _team.Slug, hook.Id));
    }

    [Fact]
    public void Long_titles_and_texts_are_cut_to_slacks_limits()
    {
        var body = JsonDocument.Parse(SlackClient.Body("C1", new SlackMessage(new string('t', 400) + "\nmore", new string('x', 5000)))).RootElement;

        Assert.Equal(150, body.GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString()!.Length);
        Assert.Equal(3000, body.GetProperty("blocks")[1].GetProperty("text").GetProperty("text").GetString()!.Length);
        Assert.Equal("C1", body.GetProperty("channel").GetString());
    }
}
