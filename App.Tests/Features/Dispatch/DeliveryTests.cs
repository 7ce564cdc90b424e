using System.Security.Cryptography;
using System.Text;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Automations;
using Automations.Features.Dispatch;
using Automations.Features.Secrets;
using Automations.Features.Webhooks;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Features.Dispatch;

/// <summary>Runs and attempts over a real SQLite file and a loopback receiver; the test plays Hangfire and the clock.</summary>
public class DeliveryTests : IAsyncLifetime
{
    /// <summary>The database these tests run on; <see cref="DeliveryPostgresTests"/> runs them all again on PostgreSQL.</summary>
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private const string SigningSecret = "sign-Ünïcode-\"secret\"";
    private const string AccessToken = "tok_access_123456";
    private const string PayloadSecret = "payload-secret-value-789";

    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private LoopbackReceiver _receiver = null!;
    private int _webhookId;
    private int _automationId;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(new Dictionary<string, string?>
        {
            ["Outbound:AllowedHosts:0"] = "localhost",
            ["Outbound:RequestTimeout"] = "00:00:03",
            ["Dispatch:DisableAfter"] = "01:00:00",
            ["Dispatch:DisableAfterFailedRuns"] = "3",
        }, provider: Provider);
        _services.Resolver.Map("localhost", "127.0.0.1");
        _team = await _services.CreateTeamAsync();
        _receiver = await LoopbackReceiver.StartAsync();
        var secrets = _services.Get<SecretService>();
        await secrets.CreateAsync(_team.Admin, _team.Slug, "SIGNING", SigningSecret);
        await secrets.CreateAsync(_team.Admin, _team.Slug, "TOKEN", AccessToken);
        await secrets.CreateAsync(_team.Admin, _team.Slug, "PAYLOAD_SECRET", PayloadSecret);
        _webhookId = (await _services.Get<WebhookService>().CreateAsync(_team.Admin, _team.Slug, new WebhookInput("Receiver", _receiver.Url(), "SIGNING", "TOKEN"))).Id;
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", null);
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "vision", "eval-set", "dataset", null);
        _automationId = (await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "vision", new AutomationInput(
            "Notify", null, ArtifactEventTypes.LinkArtifact, "eval-set", null, ActionTypes.Webhook, _webhookId,
            """{"event": "${event_type}", "version": "${artifact_version_string}", "auth": "${PAYLOAD_SECRET}", "acc": "${artifact_metadata.accuracy}"}"""))).Summary.Id;
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _services.DisposeAsync();
    }

    private ArtifactService Artifacts => _services.Get<ArtifactService>();

    private async Task<long> LogVersionAsync()
    {
        var before = _services.Queue.Enqueued.Count;
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set",
            new LogVersionRequest(Metadata: System.Text.Json.JsonDocument.Parse("{\"accuracy\": 0.91}").RootElement));
        Assert.Equal(before + 1, _services.Queue.Enqueued.Count);
        return _services.Queue.Enqueued.Last();
    }

    private Task RunJobAsync(long runId) => _services.DeliverAsync(runId);

    private Task<AutomationRun> RunAsync(long runId) => _services.StoredRunAsync(runId);

    private void Respond(params int[] statuses)
    {
        var queue = new Queue<int>(statuses);
        _receiver.Respond = async context =>
        {
            context.Response.StatusCode = queue.Count > 1 ? queue.Dequeue() : queue.Peek();
            await context.Response.WriteAsync($"answer {context.Response.StatusCode}");
        };
    }

    [Fact]
    public async Task Runs_made_before_the_snapshot_became_one_value_keep_their_action_through_the_migration()
    {
        var runId = await LogVersionAsync();
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            var migrator = db.GetService<IMigrator>();
            await migrator.MigrateAsync("LeaseOwnerGuardsSaves");
            const string template = """{"old": "${event_type}"}""";
            await db.Database.ExecuteSqlAsync($"""
                UPDATE "AutomationRuns" SET "WebhookName" = 'Old hook', "PayloadTemplate" = {template}, "JobName" = 'train', "JobVersion" = 3, "QueueName" = 'gpu'
                WHERE "Id" = {runId}
                """);
            await migrator.MigrateAsync();
        }

        var run = await RunAsync(runId);
        Assert.Equal(("Old hook", """{"old": "${event_type}"}""", "train", (int?)3, "gpu", (int?)null),
            (run.Action.WebhookName, run.Action.Template, run.Action.JobName, run.Action.JobVersion, run.Action.QueueName, run.Action.QueueId));
        Assert.Equal(RunStatus.Pending, run.Status);
    }

    [Fact]
    public async Task A_matching_event_creates_one_run_with_a_snapshot_and_enqueues_it_after_commit()
    {
        var runId = await LogVersionAsync();

        var run = await RunAsync(runId);
        Assert.Equal((RunStatus.Pending, _automationId, "Receiver"), (run.Status, run.AutomationId, run.Action.WebhookName));
        Assert.Contains("${PAYLOAD_SECRET}", run.Action.Template);
        Assert.StartsWith("msg_", run.MessageId);
        await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "production");
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        Assert.Equal(1, await db.AutomationRuns.CountAsync());
    }

    [Fact]
    public async Task Delivery_sends_the_rendered_payload_with_both_signatures_and_records_the_attempt()
    {
        var runId = await LogVersionAsync();

        await RunJobAsync(runId);

        var received = Assert.Single(_receiver.Received);
        var body = received.BodyText;
        Assert.Contains($"\"version\":\"{_team.Slug}/vision/eval-set:v0\"", body);
        Assert.Contains("\"acc\":0.91", body);
        Assert.Contains(PayloadSecret, body);
        Assert.Equal("application/json", received.Headers["Content-Type"]);
        Assert.Equal($"Bearer {AccessToken}", received.Headers["Authorization"]);
        Assert.StartsWith("Automations-Webhooks/", received.Headers["User-Agent"]);
        var key = Encoding.UTF8.GetBytes(SigningSecret);
        Assert.Equal(Convert.ToBase64String(HMACSHA256.HashData(key, received.Body)), received.Headers["X-Wandb-Signature"]);
        var run = await RunAsync(runId);
        Assert.Equal(run.MessageId, received.Headers["webhook-id"]);
        var timestamp = received.Headers["webhook-timestamp"];
        Assert.Equal(_services.Clock.GetUtcNow().ToUnixTimeSeconds().ToString(), timestamp);
        var signed = Encoding.UTF8.GetBytes($"{run.MessageId}.{timestamp}.").Concat(received.Body).ToArray();
        Assert.Equal("v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed)), received.Headers["webhook-signature"]);

        Assert.Equal(RunStatus.Succeeded, run.Status);
        var attempt = Assert.Single(run.Attempts);
        Assert.Equal((1, 200, AttemptOutcome.Succeeded), (attempt.Number, attempt.ResponseStatus, attempt.Outcome));
        Assert.Equal("{\"ok\":true}", attempt.ResponseBody);
        Assert.Equal(_receiver.Url(), attempt.RequestUrl);
    }

    [Fact]
    public async Task Secrets_never_appear_in_stored_attempts_or_logs()
    {
        var runId = await LogVersionAsync();
        Respond(500);

        await RunJobAsync(runId);

        var attempt = Assert.Single((await RunAsync(runId)).Attempts);
        var stored = string.Join("\n", attempt.RequestBody, attempt.RequestHeadersJson, attempt.ResponseHeadersJson, attempt.ResponseBody, attempt.Error);
        foreach (var secret in new[] { SigningSecret, AccessToken, PayloadSecret })
        {
            Assert.DoesNotContain(secret, stored);
            Assert.DoesNotContain(secret, string.Join("\n", _services.Logs.Lines));
        }

        Assert.Contains("\"auth\":\"[redacted]\"", attempt.RequestBody);
        Assert.Contains("Bearer [redacted]", attempt.RequestHeadersJson);
        Assert.NotEmpty(_services.Logs.Lines);
    }

    /// <summary>An endpoint that echoes its request (request bins, many error pages): headers and body back, raw and JSON-escaped, long enough to be cut.</summary>
    private void EchoEverything(int status)
    {
        _receiver.Respond = async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = string.Join("\n", context.Request.Headers.Select(h => $"{h.Key}: {h.Value}"));
            foreach (var (name, value) in context.Request.Headers)
            {
                context.Response.Headers["X-Echo-" + name] = value;
            }

            context.Response.StatusCode = status;
            await context.Response.WriteAsync(headers + "\n" + body + "\n" + System.Text.Json.JsonSerializer.Serialize(new { headers, body })
                + "\n" + Uri.EscapeDataString(body));
        };
    }

    [Theory]
    [InlineData(200)]
    [InlineData(500)]
    public async Task An_echoing_endpoint_never_gets_a_secret_value_into_the_stored_attempt(int status)
    {
        var runId = await LogVersionAsync();
        EchoEverything(status);

        await RunJobAsync(runId);

        var attempt = Assert.Single((await RunAsync(runId)).Attempts);
        Assert.Contains("X-Echo-Authorization", attempt.ResponseHeadersJson);
        Assert.Contains(SecretRedactor.Redacted, attempt.ResponseBody);
        var stored = string.Join("\n", attempt.RequestBody, attempt.RequestHeadersJson, attempt.ResponseHeadersJson, attempt.ResponseBody, attempt.Error);
        foreach (var secret in new[] { SigningSecret, AccessToken, PayloadSecret })
        {
            Assert.DoesNotContain(secret, stored);
            Assert.DoesNotContain(System.Text.Json.JsonEncodedText.Encode(secret).ToString(), stored);
            Assert.DoesNotContain(Uri.EscapeDataString(secret), stored);
        }
    }

    [Fact]
    public async Task A_secret_cut_by_the_body_excerpt_leaves_none_of_its_characters_behind()
    {
        var runId = await LogVersionAsync();
        // Put the access token across the 4 KB cut at every offset a long run of padding allows.
        _receiver.Respond = async context =>
        {
            var padding = new string('x', WebhookSender.BodyExcerptBytes - 6);
            await context.Response.WriteAsync(padding + AccessToken + "-tail");
        };

        await RunJobAsync(runId);

        var body = Assert.Single((await RunAsync(runId)).Attempts).ResponseBody!;
        Assert.DoesNotContain(AccessToken[..4], body);
        Assert.True(body.Length <= WebhookSender.BodyExcerptBytes);
        Assert.StartsWith(new string('x', WebhookSender.BodyExcerptBytes - 6) + "[redac", body);
    }

    [Fact]
    public async Task Two_server_errors_then_success_take_three_attempts_on_the_schedule()
    {
        var runId = await LogVersionAsync();
        Respond(500, 503, 200);

        await RunJobAsync(runId);
        var (scheduledRun, delay) = Assert.Single(_services.Queue.Scheduled);
        Assert.Equal(runId, scheduledRun);
        Assert.InRange(delay, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(6));
        Assert.Equal(RunStatus.Retrying, (await RunAsync(runId)).Status);

        await RunJobAsync(runId);
        Assert.Single(_receiver.Received);

        _services.Clock.Advance(delay);
        await RunJobAsync(runId);
        var second = _services.Queue.Scheduled.Last().Delay;
        Assert.InRange(second, TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(6));

        _services.Clock.Advance(second);
        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.Equal([AttemptOutcome.WillRetry, AttemptOutcome.WillRetry, AttemptOutcome.Succeeded], run.Attempts.OrderBy(a => a.Number).Select(a => a.Outcome));
        Assert.Equal(3, _receiver.Received.Count);
        Assert.Single(_receiver.Received.Select(r => r.Headers["webhook-id"]).Distinct());
    }

    [Theory]
    [InlineData(404)]
    [InlineData(400)]
    [InlineData(302)]
    public async Task Other_client_errors_and_redirects_fail_at_once(int status)
    {
        var runId = await LogVersionAsync();
        Respond(status);

        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Single(run.Attempts);
        Assert.Empty(_services.Queue.Scheduled);
    }

    [Fact]
    public async Task Gone_disables_the_webhook_and_its_other_runs_wait_until_it_is_re_enabled()
    {
        var first = await LogVersionAsync();
        var second = await LogVersionAsync();
        Respond(410);

        await RunJobAsync(first);
        await RunJobAsync(second);

        Assert.Equal(RunStatus.Failed, (await RunAsync(first)).Status);
        var waiting = await RunAsync(second);
        Assert.Equal((RunStatus.Pending, (DateTimeOffset?)null), (waiting.Status, waiting.NextAttemptAt));
        Assert.Empty(waiting.Attempts);
        Assert.Single(_receiver.Received);
        var hook = (await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single();
        Assert.True(hook.Disabled);
        Assert.Contains("410", hook.DisabledReason);

        Respond(200);
        await _services.Get<WebhookService>().EnableAsync(_team.Admin, _team.Slug, _webhookId);
        Assert.Contains(second, await DueRunsAsync());
        await RunJobAsync(second);
        Assert.Equal(RunStatus.Succeeded, (await RunAsync(second)).Status);
    }

    [Fact]
    public async Task An_attempt_that_throws_is_recorded_and_the_run_fails_after_its_retries()
    {
        var runId = await LogVersionAsync();
        // Data the attempt cannot read (written before input was checked, or damaged): rendering throws every time.
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            await db.ArtifactVersions.ExecuteUpdateAsync(s => s.SetProperty(v => v.MetadataJson, "{\"accuracy\": "));
        }

        var schedule = _services.Get<Microsoft.Extensions.Options.IOptions<DispatchOptions>>().Value.RetrySchedule;
        for (var i = 0; i <= schedule.Length; i++)
        {
            await RunJobAsync(runId);
            var run = await RunAsync(runId);
            Assert.Null(run.LeaseOwner);
            if (run.Status == RunStatus.Failed)
            {
                break;
            }

            Assert.Equal(RunStatus.Retrying, run.Status);
            _services.Clock.SetUtcNow(run.NextAttemptAt!.Value);
        }

        var failed = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, failed.Status);
        Assert.Equal(schedule.Length + 1, failed.Attempts.Count);
        Assert.All(failed.Attempts, a => Assert.Contains("failed inside the app", a.Error));
        Assert.Empty(_receiver.Received);
        Assert.DoesNotContain(_services.Logs.Lines, line => line.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Member_cannot_re_enable_a_webhook()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => _services.Get<WebhookService>().EnableAsync(_team.Member, _team.Slug, _webhookId));
    }

    [Fact]
    public async Task Retry_after_is_honoured()
    {
        var runId = await LogVersionAsync();
        _receiver.Respond = context =>
        {
            context.Response.StatusCode = 429;
            context.Response.Headers.RetryAfter = "120";
            return Task.CompletedTask;
        };

        await RunJobAsync(runId);

        Assert.Equal(TimeSpan.FromSeconds(120), Assert.Single(_services.Queue.Scheduled).Delay);
        Assert.Equal(_services.Clock.GetUtcNow() + TimeSpan.FromSeconds(120), (await RunAsync(runId)).NextAttemptAt);
        // Well before the due time a job does nothing (the run stays for its own job or the sweeper)...
        _services.Clock.Advance(TimeSpan.FromSeconds(116));
        await RunJobAsync(runId);
        Assert.Single(_receiver.Received);

        // ...and a job woken a moment early (Hangfire keeps whole seconds) waits for the due time instead of giving up.
        _services.Clock.Advance(TimeSpan.FromSeconds(3));
        var early = RunJobAsync(runId);
        await Task.Delay(300);
        Assert.False(early.IsCompleted);
        Assert.Single(_receiver.Received);
        _services.Clock.Advance(TimeSpan.FromSeconds(1.01));
        await early.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, _receiver.Received.Count);
    }

    [Fact]
    public async Task The_last_scheduled_retry_failing_marks_the_run_failed()
    {
        var runId = await LogVersionAsync();
        Respond(500);
        var schedule = new DispatchOptions().RetrySchedule;

        for (var i = 0; i <= schedule.Length; i++)
        {
            await RunJobAsync(runId);
            _services.Clock.Advance(TimeSpan.FromHours(13));
        }

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal(schedule.Length + 1, run.Attempts.Count);
        Assert.Equal(schedule.Length, _services.Queue.Scheduled.Count);
    }

    [Fact]
    public async Task A_burst_of_failures_during_a_short_outage_does_not_disable_the_webhook()
    {
        Respond(503);
        var runs = new List<long>();
        for (var i = 0; i < 20; i++)
        {
            runs.Add(await LogVersionAsync());
        }

        foreach (var run in runs)
        {
            await RunJobAsync(run);
        }

        Assert.False((await Webhook()).Disabled);
        Assert.Equal(20, (await WebhookRowAsync()).ConsecutiveFailures);

        // The endpoint is back: every run succeeds on its retry, and the webhook's failure state is reset.
        Respond(200);
        _services.Clock.Advance(TimeSpan.FromMinutes(1));
        foreach (var run in runs)
        {
            await RunJobAsync(run);
            Assert.Equal(RunStatus.Succeeded, (await RunAsync(run)).Status);
        }

        var row = await WebhookRowAsync();
        Assert.Equal((0, (DateTimeOffset?)null, 0), (row.ConsecutiveFailures, row.FailingSince, row.FailedRunsSinceFailing));
    }

    [Fact]
    public async Task A_webhook_is_disabled_only_after_failing_for_the_whole_period_with_enough_runs_out_of_retries()
    {
        Respond(404);
        var started = _services.Clock.GetUtcNow();
        for (var i = 0; i < 5; i++)
        {
            await RunJobAsync(await LogVersionAsync());
        }

        // Five runs failed for good, but within minutes: still enabled.
        Assert.False((await Webhook()).Disabled);
        Assert.Equal(started, (await WebhookRowAsync()).FailingSince);

        _services.Clock.Advance(TimeSpan.FromHours(1));
        await RunJobAsync(await LogVersionAsync());

        var hook = await Webhook();
        Assert.True(hook.Disabled);
        Assert.Equal("Every delivery attempt has failed for 1 hour and 6 runs ran out of retries.", hook.DisabledReason);
    }

    [Fact]
    public async Task Concurrent_failures_are_all_counted()
    {
        Respond(404);
        var runs = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            runs.Add(await LogVersionAsync());
        }

        await Task.WhenAll(runs.Select(run => Task.Run(() => RunJobAsync(run))));
        // Attempts beyond the per-webhook cap went to the slow lane: run those too, concurrently.
        await Task.WhenAll(_services.Queue.EnqueuedSlow.Select(run => Task.Run(async () =>
        {
            using var scope = _services.Provider.CreateScope();
            await scope.ServiceProvider.GetRequiredService<DeliveryJob>().RunSlowAsync(run, default);
        })));

        var row = await WebhookRowAsync();
        Assert.Equal((12, 12), (row.ConsecutiveFailures, row.FailedRunsSinceFailing));
    }

    private async Task<WebhookSummary> Webhook() => (await _services.Get<WebhookService>().ListAsync(_team.Admin, _team.Slug)).Single();

    private async Task<Webhook> WebhookRowAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return await db.Webhooks.AsNoTracking().SingleAsync(w => w.Id == _webhookId);
    }

    [Fact]
    public async Task A_webhooks_deliveries_span_its_automations_and_recover_resends_the_failed_ones_spread_out()
    {
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "nlp", null);
        await Artifacts.CreateCollectionAsync(_team.Admin, _team.Slug, "nlp", "corpus", "dataset", null);
        await _services.Get<AutomationService>().CreateAsync(_team.Member, _team.Slug, "nlp", new AutomationInput(
            "Corpus", null, ArtifactEventTypes.LinkArtifact, "corpus", null, ActionTypes.Webhook, _webhookId, "{\"e\": \"${event_type}\"}"));
        Respond(404);
        var failed = new List<long> { await LogVersionAsync(), await LogVersionAsync() };
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "nlp", "corpus", new LogVersionRequest());
        failed.Add(_services.Queue.Enqueued.Last());
        foreach (var run in failed)
        {
            await RunJobAsync(run);
        }

        var dispatch = _services.Get<DispatchService>();
        var deliveries = await dispatch.ListWebhookDeliveriesAsync(_team.Member, _team.Slug, _webhookId, RunStatus.Failed);
        Assert.Equal(3, deliveries.Total);
        Assert.Equal(["nlp", "vision"], deliveries.Items.Select(r => r.ProjectName).Distinct().Order());

        await Assert.ThrowsAsync<ForbiddenException>(() => dispatch.RecoverAsync(_team.Member, _team.Slug, _webhookId, _services.Clock.GetUtcNow().AddHours(-1)));
        await Assert.ThrowsAsync<NotFoundException>(() => dispatch.RecoverAsync(_team.Outsider, _team.Slug, _webhookId, _services.Clock.GetUtcNow().AddHours(-1)));
        await Assert.ThrowsAsync<NotFoundException>(() => dispatch.ListWebhookDeliveriesAsync(_team.Outsider, _team.Slug, _webhookId));

        Respond(200);
        _services.Clock.Advance(TimeSpan.FromMinutes(10));
        var recovered = await dispatch.RecoverAsync(_team.Admin, _team.Slug, _webhookId, _services.Clock.GetUtcNow().AddHours(-1));
        var again = await dispatch.RecoverAsync(_team.Admin, _team.Slug, _webhookId, _services.Clock.GetUtcNow().AddHours(-1));

        Assert.Equal(3, recovered.Queued);
        Assert.Equal(0, again.Queued);
        var scheduled = _services.Queue.Scheduled.Where(s => failed.Contains(s.RunId)).Select(s => s.Delay).Order().ToList();
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(0.2), TimeSpan.FromSeconds(0.4)], scheduled);
        _services.Clock.Advance(TimeSpan.FromSeconds(1));
        foreach (var run in failed)
        {
            await RunJobAsync(run);
            var done = await RunAsync(run);
            Assert.Equal(RunStatus.Succeeded, done.Status);
            Assert.True(done.Attempts.Single(a => a.Number == 2).Manual);
        }
    }

    [Fact]
    public async Task Redeliver_makes_one_fresh_attempt_with_the_same_webhook_id()
    {
        var runId = await LogVersionAsync();
        Respond(404, 200);
        await RunJobAsync(runId);
        Assert.Equal(RunStatus.Failed, (await RunAsync(runId)).Status);

        var redelivered = await _services.Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId);
        Assert.Equal(RunStatus.Pending, redelivered.Status);
        Assert.Equal(runId, _services.Queue.Enqueued.Last());
        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Succeeded, run.Status);
        Assert.True(run.Attempts.Single(a => a.Number == 2).Manual);
        Assert.Equal(2, _receiver.Received.Select(r => r.Headers["webhook-id"]).Count(id => id == run.MessageId));
        await Assert.ThrowsAsync<NotFoundException>(() => _services.Get<DispatchService>().RedeliverAsync(_team.Outsider, _team.Slug, "vision", runId));
    }

    [Fact]
    public async Task A_failed_redelivery_is_not_retried_and_a_run_in_progress_cannot_be_redelivered()
    {
        var runId = await LogVersionAsync();
        await Assert.ThrowsAsync<ConflictException>(() => _services.Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId));
        Respond(404, 500);
        await RunJobAsync(runId);

        await _services.Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId);
        await RunJobAsync(runId);

        Assert.Equal(RunStatus.Failed, (await RunAsync(runId)).Status);
        Assert.Empty(_services.Queue.Scheduled);
    }

    [Fact]
    public async Task Deleting_the_automation_does_not_cancel_a_run_already_started()
    {
        var runId = await LogVersionAsync();
        await _services.Get<AutomationService>().DeleteAsync(_team.Member, _team.Slug, "vision", _automationId);

        await RunJobAsync(runId);

        Assert.Equal(RunStatus.Succeeded, (await RunAsync(runId)).Status);
        Assert.Single(_receiver.Received);
        await LogVersionAsyncWithoutRun();
    }

    private async Task LogVersionAsyncWithoutRun()
    {
        var before = _services.Queue.Enqueued.Count;
        await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", new LogVersionRequest());
        Assert.Equal(before, _services.Queue.Enqueued.Count);
    }

    [Fact]
    public async Task Concurrent_jobs_for_one_run_make_exactly_one_attempt()
    {
        var runId = await LogVersionAsync();
        _receiver.Respond = async context =>
        {
            await Task.Delay(200);
            context.Response.StatusCode = 200;
        };

        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => RunJobAsync(runId))));

        Assert.Single(_receiver.Received);
        Assert.Single((await RunAsync(runId)).Attempts);
    }

    [Fact]
    public async Task Sweeper_re_enqueues_due_unleased_runs_and_takes_over_expired_leases()
    {
        var due = await LogVersionAsync();
        var leased = await LogVersionAsync();
        var future = await LogVersionAsync();
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            var now = _services.Clock.GetUtcNow();
            await db.AutomationRuns.Where(r => r.Id == leased).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseOwner, "dead-worker").SetProperty(r => r.LeaseExpiresAt, now + TimeSpan.FromMinutes(2)));
            await db.AutomationRuns.Where(r => r.Id == future).ExecuteUpdateAsync(s => s.SetProperty(r => r.NextAttemptAt, now + TimeSpan.FromHours(1)));
        }

        Assert.Equal([due], await DueRunsAsync());

        _services.Clock.Advance(TimeSpan.FromMinutes(3));
        Assert.Equal([due, leased], (await DueRunsAsync()).Order());
        await RunJobAsync(leased);
        Assert.Equal(RunStatus.Succeeded, (await RunAsync(leased)).Status);
    }

    [Fact]
    public async Task A_payload_referencing_a_deleted_secret_fails_with_a_clear_error()
    {
        var runId = await LogVersionAsync();
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            await db.TeamSecrets.Where(s => s.Name == "PAYLOAD_SECRET").ExecuteDeleteAsync();
        }

        await RunJobAsync(runId);

        var run = await RunAsync(runId);
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Contains("${PAYLOAD_SECRET}", run.LastError);
        Assert.Empty(_receiver.Received);
    }

    [Fact]
    public async Task Deliveries_to_a_webhook_with_a_slow_attempt_in_flight_move_to_the_slow_lane()
    {
        var slowRun = await LogVersionAsync();
        var nextRun = await LogVersionAsync();
        var release = new TaskCompletionSource();
        _receiver.Respond = async context =>
        {
            await release.Task;
            context.Response.StatusCode = 200;
        };

        var inFlight = Task.Run(() => RunJobAsync(slowRun));
        await WaitUntilAsync(() => _receiver.Received.Count == 1);
        _services.Clock.Advance(TimeSpan.FromSeconds(3));
        await RunJobAsync(nextRun);

        Assert.Equal([nextRun], _services.Queue.EnqueuedSlow);
        Assert.Empty((await RunAsync(nextRun)).Attempts);
        release.SetResult();
        await inFlight;

        using (var scope = _services.Provider.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryJob>().RunSlowAsync(nextRun, default);
        }

        Assert.Equal(RunStatus.Succeeded, (await RunAsync(nextRun)).Status);
        // It stays slow for a while: the next run goes to the slow lane at once.
        var third = await LogVersionAsync();
        await RunJobAsync(third);
        Assert.Contains(third, _services.Queue.EnqueuedSlow);
        _services.Clock.Advance(TimeSpan.FromMinutes(6));
        await RunJobAsync(third);
        Assert.Equal(RunStatus.Succeeded, (await RunAsync(third)).Status);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task A_trigger_a_millisecond_early_still_sends_the_run_when_it_comes_due_during_the_first_lease()
    {
        Respond(503, 200);
        var run = await LogVersionAsync();
        await RunJobAsync(run);
        var due = (await RunAsync(run)).NextAttemptAt!.Value;

        // The retry's trigger fires 1 ms before it is due, and time moves on 2 ms with every look at the clock: the first
        // lease finds it not yet due, the next look finds it due.
        _services.Clock.SetUtcNow(due - TimeSpan.FromMilliseconds(1));
        _services.Clock.AutoAdvanceAmount = TimeSpan.FromMilliseconds(2);
        await RunJobAsync(run);
        _services.Clock.AutoAdvanceAmount = TimeSpan.Zero;

        var stored = await RunAsync(run);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        Assert.Equal(2, stored.Attempts.Count);
    }

    [Fact]
    public async Task A_database_error_while_taking_the_lease_hands_the_run_back_for_another_try_instead_of_losing_the_trigger()
    {
        var run = await LogVersionAsync();
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            // Every lease fails, as during a database outage.
            await db.Database.ExecuteSqlRawAsync(Provider == DatabaseProvider.Sqlite
                ? """CREATE TRIGGER fail_lease BEFORE UPDATE OF "LeaseOwner" ON "AutomationRuns" WHEN NEW."LeaseOwner" IS NOT NULL BEGIN SELECT RAISE(ABORT, 'simulated outage'); END;"""
                : """
                  CREATE FUNCTION fail_lease() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'simulated outage'; END $$ LANGUAGE plpgsql;
                  CREATE TRIGGER fail_lease BEFORE UPDATE ON "AutomationRuns" FOR EACH ROW WHEN (NEW."LeaseOwner" IS NOT NULL) EXECUTE FUNCTION fail_lease();
                  """);
        }

        await RunJobAsync(run);

        Assert.Contains((run, TimeSpan.FromSeconds(5)), _services.Queue.Scheduled);
        var stored = await RunAsync(run);
        Assert.Equal(RunStatus.Pending, stored.Status);
        Assert.Empty(stored.Attempts);
        Assert.Contains(_services.Logs.Lines, line => line.Contains("could not take the lease") && line.Contains("simulated outage"));
    }

    [Fact]
    public async Task An_attempt_that_outlived_its_lease_does_not_overwrite_the_worker_that_took_the_run_over()
    {
        var run = await LogVersionAsync();
        var release = new TaskCompletionSource();
        var calls = 0;
        _receiver.Respond = async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await release.Task;
                context.Response.StatusCode = 500;
            }

            await context.Response.WriteAsync("answer");
        };

        var stale = RunJobAsync(run);
        await WaitUntilAsync(() => Volatile.Read(ref calls) == 1);
        // The first worker hangs past its lease; another takes the run over and delivers it (in the slow lane: the
        // webhook has an attempt in flight for minutes).
        _services.Clock.Advance(TimeSpan.FromMinutes(5));
        using (var scope = _services.Provider.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<DeliveryJob>().RunSlowAsync(run, default);
        }

        release.SetResult();
        await stale;

        var stored = await RunAsync(run);
        Assert.Equal(RunStatus.Succeeded, stored.Status);
        var attempt = Assert.Single(stored.Attempts);
        Assert.Equal(200, attempt.ResponseStatus);
        Assert.Contains(_services.Logs.Lines, line => line.Contains("another worker took the run over"));
    }

    [Fact]
    public async Task The_sweeper_hands_a_run_missed_by_its_trigger_to_the_queue_once_per_repeat_even_when_sweeps_overlap()
    {
        var run = await LogVersionAsync();
        var sweeper = ActivatorUtilities.CreateInstance<DispatchSweeper>(_services.Provider);
        while (_services.Queue.Enqueued.TryDequeue(out _))
        {
        }

        // Not yet missed for the grace: the normal path may still take it.
        Assert.Equal(0, await sweeper.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), default));
        _services.Clock.Advance(TimeSpan.FromSeconds(6));

        // Two sweeps at once (two instances): the run is handed over once.
        var counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => sweeper.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), default)));
        Assert.Equal(1, counts.Sum());
        Assert.Equal([run], _services.Queue.Enqueued.ToList());

        // Still waiting in a backlog: not enqueued again on every tick, but again after the repeat.
        Assert.Equal(0, await sweeper.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), default));
        _services.Clock.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await sweeper.SweepAsync(TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1), default));
    }

    private async Task<List<long>> DueRunsAsync()
    {
        while (_services.Queue.Enqueued.TryDequeue(out _))
        {
        }

        using var scope = _services.Provider.CreateScope();
        var sweeper = ActivatorUtilities.CreateInstance<DispatchSweeper>(scope.ServiceProvider);
        await sweeper.SweepAsync(TimeSpan.Zero, TimeSpan.Zero, default);
        return _services.Queue.Enqueued.ToList();
    }
}

/// <summary>Every test of <see cref="DeliveryTests"/>, on PostgreSQL.</summary>
public sealed class DeliveryPostgresTests : DeliveryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
