using Automations.Features.Secrets;
using System.Diagnostics.Metrics;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Dispatch;
using Automations.Features.Launch;
using Automations.Features.Retention;
using Automations.Infrastructure.Telemetry;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Automations.Tests.Features.Retention;

/// <summary>
/// The retention job over a real SQLite file (<see cref="RetentionPostgresTests"/>: PostgreSQL), with the fake clock:
/// rows are made "now", the clock moves on, the job runs.
/// </summary>
public class RetentionTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private TestServices _services = null!;
    private TeamFixture _team = null!;
    private Ids _ids = null!;

    /// <summary>The rows every inserted row hangs from.</summary>
    private sealed record Ids(int TeamId, int ProjectId, int CollectionId, long VersionId, int AutomationId, int QueueId, int JobVersionId);

    public async ValueTask InitializeAsync() => await StartAsync([]);

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private async Task StartAsync(Dictionary<string, string?> retention)
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        var settings = new Dictionary<string, string?> { ["Outbound:AllowedHosts:0"] = "localhost", ["Retention:BatchPause"] = "00:00:00" };
        foreach (var (key, value) in retention)
        {
            settings[$"Retention:{key}"] = value;
        }

        _services = await TestServices.CreateAsync(settings, provider: Provider);
        _services.Resolver.Map("localhost", "127.0.0.1");
        _team = await _services.CreateTeamAsync();
        var scenario = await _services.Provider.WebhookAutomationAsync(_team, "http://localhost:9/hook");
        var version = await _services.Provider.LogVersionAsync(_team, "other", new LogVersionRequest(Type: "dataset"));
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var versionRow = await db.ArtifactVersions.Include(v => v.Collection).ThenInclude(c => c.Project).SingleAsync(v => v.PublicId == version.Id);
        var queue = new LaunchQueue { TeamId = versionRow.Collection.Project.TeamId, Name = "gpu", CreatedAt = Now };
        var job = new LaunchJob { TeamId = queue.TeamId, Name = "train", CreatedAt = Now, Versions = [new LaunchJobVersion { Program = "python", CreatedAt = Now }] };
        db.AddRange(queue, job);
        await db.SaveChangesAsync();
        _ids = new Ids(queue.TeamId, versionRow.Collection.ProjectId, versionRow.CollectionId, versionRow.Id, scenario.AutomationId, queue.Id, job.Versions[0].Id);
    }

    private DateTimeOffset Now => _services.Clock.GetUtcNow();

    private async Task<long> EventAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var e = new ArtifactEvent
        {
            TeamId = _ids.TeamId, ProjectId = _ids.ProjectId, CollectionId = _ids.CollectionId, VersionId = _ids.VersionId,
            Type = ArtifactEventTypes.LinkArtifact, AuthorUserId = _team.Member.UserId, Author = _team.Member.UserName, CreatedAt = Now,
        };
        db.ArtifactEvents.Add(e);
        await db.SaveChangesAsync();
        return e.Id;
    }

    /// <summary>A run of <paramref name="eventId"/> with <paramref name="attempts"/> attempts made now; finished now unless pending or retrying.</summary>
    private async Task<long> RunAsync(long eventId, RunStatus status, int attempts = 2)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var finished = status is RunStatus.Succeeded or RunStatus.Failed;
        var run = new AutomationRun
        {
            MessageId = $"msg_{Guid.NewGuid():N}", AutomationId = _ids.AutomationId, TeamId = _ids.TeamId, ProjectId = _ids.ProjectId, EventId = eventId,
            Status = status, AttemptCount = attempts, CreatedAt = Now, UpdatedAt = Now, CompletedAt = finished ? Now : null,
            NextAttemptAt = finished ? null : Now + TimeSpan.FromHours(1),
            Attempts = Enumerable.Range(1, attempts).Select(n => new DeliveryAttempt
            {
                Number = n, StartedAt = Now, RequestUrl = "http://localhost:9/hook", ResponseStatus = 500,
                Outcome = n == attempts && status == RunStatus.Succeeded ? AttemptOutcome.Succeeded : AttemptOutcome.WillRetry,
            }).ToList(),
        };
        db.AutomationRuns.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private async Task<long> LaunchRunAsync(LaunchRunStatus status, long? eventId = null)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var run = new LaunchRun
        {
            TeamId = _ids.TeamId, QueueId = _ids.QueueId, JobVersionId = _ids.JobVersionId, ProjectId = _ids.ProjectId, EventId = eventId,
            Status = status, OutputTail = "epoch 1/10\n", CreatedAt = Now, UpdatedAt = Now, CreatedBy = "test",
            EndedAt = LaunchRun.Active(status) ? null : Now,
        };
        db.LaunchRuns.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }

    private async Task<long> IdempotencyRecordAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var record = new IdempotencyRecord { UserId = _team.Member.UserId, Key = Guid.NewGuid().ToString("N"), RequestHash = "h", VersionId = _ids.VersionId, CreatedAt = Now };
        db.IdempotencyRecords.Add(record);
        await db.SaveChangesAsync();
        return record.Id;
    }

    private async Task<Dictionary<string, int>> RunJobAsync()
    {
        using var scope = _services.Provider.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(default);
    }

    /// <summary>Which of the rows made by the helpers are still there.</summary>
    private async Task<Remaining> RemainingAsync()
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return new Remaining(
            await db.ArtifactEvents.Select(e => e.Id).ToListAsync(),
            await db.AutomationRuns.Select(r => r.Id).ToListAsync(),
            await db.DeliveryAttempts.Select(a => a.RunId).ToListAsync(),
            await db.LaunchRuns.Select(r => r.Id).ToListAsync(),
            await db.IdempotencyRecords.Select(r => r.Id).ToListAsync());
    }

    private sealed record Remaining(List<long> Events, List<long> Runs, List<long> AttemptsOfRuns, List<long> LaunchRuns, List<long> IdempotencyRecords);

    [Fact]
    public async Task Old_rows_go_and_recent_rows_stay()
    {
        var oldEvent = await EventAsync();
        var oldSucceeded = await RunAsync(oldEvent, RunStatus.Succeeded);
        var oldFailed = await RunAsync(oldEvent, RunStatus.Failed, attempts: 8);
        var oldLonelyEvent = await EventAsync();
        var oldLaunchEvent = await EventAsync();
        var oldLaunch = await LaunchRunAsync(LaunchRunStatus.Finished, oldLaunchEvent);
        var oldCancelled = await LaunchRunAsync(LaunchRunStatus.Cancelled);
        var oldKey = await IdempotencyRecordAsync();
        _services.Clock.Advance(TimeSpan.FromDays(400));
        var newEvent = await EventAsync();
        var newRun = await RunAsync(newEvent, RunStatus.Succeeded);
        var newLaunch = await LaunchRunAsync(LaunchRunStatus.Failed, newEvent);
        var newKey = await IdempotencyRecordAsync();

        var removed = await RunJobAsync();

        var left = await RemainingAsync();
        Assert.DoesNotContain(oldSucceeded, left.Runs);
        Assert.DoesNotContain(oldFailed, left.Runs);
        Assert.DoesNotContain(oldSucceeded, left.AttemptsOfRuns);
        Assert.DoesNotContain(oldFailed, left.AttemptsOfRuns);
        Assert.DoesNotContain(oldLaunch, left.LaunchRuns);
        Assert.DoesNotContain(oldCancelled, left.LaunchRuns);
        Assert.DoesNotContain(oldKey, left.IdempotencyRecords);
        Assert.DoesNotContain(oldEvent, left.Events);
        Assert.DoesNotContain(oldLonelyEvent, left.Events);
        Assert.DoesNotContain(oldLaunchEvent, left.Events);
        Assert.Contains(newEvent, left.Events);
        Assert.Contains(newRun, left.Runs);
        Assert.Equal(2, left.AttemptsOfRuns.Count(r => r == newRun));
        Assert.Contains(newLaunch, left.LaunchRuns);
        Assert.Contains(newKey, left.IdempotencyRecords);
        // The runs' ten attempts went by age first, then the runs; the events once nothing referred to them.
        Assert.Equal(10, removed["Attempts"]);
        Assert.Equal(2, removed["Runs"]);
        Assert.Equal(2, removed["LaunchRuns"]);
    }

    [Fact]
    public async Task Attempts_go_after_30_days_and_their_finished_run_and_event_stay_until_theirs()
    {
        var eventId = await EventAsync();
        var run = await RunAsync(eventId, RunStatus.Failed);
        _services.Clock.Advance(TimeSpan.FromDays(29));
        await RunJobAsync();
        Assert.Equal(2, (await RemainingAsync()).AttemptsOfRuns.Count(r => r == run));

        _services.Clock.Advance(TimeSpan.FromDays(2));
        await RunJobAsync();

        var left = await RemainingAsync();
        Assert.DoesNotContain(run, left.AttemptsOfRuns);
        Assert.Contains(run, left.Runs);
        Assert.Contains(eventId, left.Events);
    }

    [Fact]
    public async Task An_unfinished_run_keeps_its_attempts_and_its_event_however_old()
    {
        var pendingEvent = await EventAsync();
        var pending = await RunAsync(pendingEvent, RunStatus.Pending, attempts: 0);
        var retryingEvent = await EventAsync();
        var retrying = await RunAsync(retryingEvent, RunStatus.Retrying, attempts: 3);
        _services.Clock.Advance(TimeSpan.FromDays(1000));

        await RunJobAsync();

        var left = await RemainingAsync();
        Assert.Contains(pending, left.Runs);
        Assert.Contains(retrying, left.Runs);
        Assert.Equal(3, left.AttemptsOfRuns.Count(r => r == retrying));
        Assert.Contains(pendingEvent, left.Events);
        Assert.Contains(retryingEvent, left.Events);
    }

    [Fact]
    public async Task An_event_stays_while_a_kept_run_refers_to_it()
    {
        await StartAsync(new() { ["Runs"] = "500" });
        var eventId = await EventAsync();
        var run = await RunAsync(eventId, RunStatus.Succeeded);
        _services.Clock.Advance(TimeSpan.FromDays(400));

        await RunJobAsync();

        var left = await RemainingAsync();
        Assert.Contains(run, left.Runs);
        Assert.Contains(eventId, left.Events);
    }

    [Fact]
    public async Task Queued_claimed_and_running_launch_runs_stay_with_their_event()
    {
        var eventId = await EventAsync();
        var queued = await LaunchRunAsync(LaunchRunStatus.Queued, eventId);
        var claimed = await LaunchRunAsync(LaunchRunStatus.Claimed, eventId);
        var running = await LaunchRunAsync(LaunchRunStatus.Running, eventId);
        _services.Clock.Advance(TimeSpan.FromDays(1000));

        await RunJobAsync();

        var left = await RemainingAsync();
        Assert.Equal([queued, claimed, running], left.LaunchRuns.Order());
        Assert.Contains(eventId, left.Events);
    }

    [Fact]
    public async Task More_rows_than_a_batch_are_all_removed_batch_by_batch()
    {
        await StartAsync(new() { ["BatchSize"] = "3" });
        var keys = new List<long>();
        var runs = new List<long>();
        for (var i = 0; i < 10; i++)
        {
            keys.Add(await IdempotencyRecordAsync());
            runs.Add(await RunAsync(await EventAsync(), RunStatus.Succeeded, attempts: 1));
        }

        _services.Clock.Advance(TimeSpan.FromDays(400));
        var batches = new List<(string Kind, long Rows)>();
        using var listener = new MeterListener();
        var meters = _services.Get<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "automations.retention.removed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, rows, tags, _) => batches.Add(((string)tags[0].Value!, rows)));
        listener.Start();
        _ = _services.Get<EngineMetrics>();

        await RunJobAsync();

        var left = await RemainingAsync();
        Assert.Empty(left.IdempotencyRecords.Intersect(keys));
        Assert.Empty(left.Runs.Intersect(runs));
        Assert.Equal([3, 3, 3, 1], batches.Where(b => b.Kind == "IdempotencyKeys").Select(b => b.Rows));
        Assert.Equal([3, 3, 3, 1], batches.Where(b => b.Kind == "Attempts").Select(b => b.Rows));
    }

    [Fact]
    public async Task Zero_days_keeps_everything_forever()
    {
        await StartAsync(new() { ["Attempts"] = "0", ["Runs"] = "0", ["LaunchRuns"] = "0", ["Events"] = "0", ["IdempotencyKeys"] = "0", ["Audit"] = "0" });
        var eventId = await EventAsync();
        var lonely = await EventAsync();
        var run = await RunAsync(eventId, RunStatus.Succeeded);
        var launch = await LaunchRunAsync(LaunchRunStatus.Finished, eventId);
        var key = await IdempotencyRecordAsync();
        _services.Clock.Advance(TimeSpan.FromDays(10 * 365));

        var removed = await RunJobAsync();

        var left = await RemainingAsync();
        Assert.Empty(removed);
        Assert.Contains(eventId, left.Events);
        Assert.Contains(lonely, left.Events);
        Assert.Contains(run, left.Runs);
        Assert.Equal(2, left.AttemptsOfRuns.Count(r => r == run));
        Assert.Contains(launch, left.LaunchRuns);
        Assert.Contains(key, left.IdempotencyRecords);
    }

    [Fact]
    public async Task An_idempotency_key_answers_repeats_for_7_days_and_then_makes_a_new_version()
    {
        var artifacts = _services.Get<ArtifactService>();
        Task<LoggedVersion> LogAsync() => artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "other", new LogVersionRequest("nightly"), "nightly-42");
        var first = await LogAsync();
        _services.Clock.Advance(TimeSpan.FromDays(6));
        await RunJobAsync();

        var repeat = await LogAsync();

        Assert.False(repeat.Created);
        Assert.Equal(first.Version.Id, repeat.Version.Id);
        _services.Clock.Advance(TimeSpan.FromDays(2));
        await RunJobAsync();
        var afterExpiry = await LogAsync();
        Assert.True(afterExpiry.Created);
        Assert.NotEqual(first.Version.Id, afterExpiry.Version.Id);
    }

    [Fact]
    public async Task Defaults_are_30_days_of_attempts_7_of_idempotency_keys_and_a_year_of_events()
    {
        var days = _services.Get<IOptions<RetentionOptions>>().Value.Days;

        Assert.Equal(30, days["Attempts"]);
        Assert.Equal(7, days["IdempotencyKeys"]);
        Assert.Equal(90, days["Runs"]);
        Assert.Equal(90, days["LaunchRuns"]);
        Assert.Equal(365, days["Events"]);
        Assert.Equal(365, days["Audit"]);
    }

    [Fact]
    public async Task Audit_entries_are_kept_a_year()
    {
        var secrets = _services.Get<SecretService>();
        await secrets.CreateAsync(_team.Admin, _team.Slug, "OLD", "old-value");
        _services.Clock.Advance(TimeSpan.FromDays(300));
        await secrets.CreateAsync(_team.Admin, _team.Slug, "RECENT", "recent-value");
        _services.Clock.Advance(TimeSpan.FromDays(66));

        var removed = await RunJobAsync();

        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var left = await db.AuditEntries.Where(e => e.TeamId == _ids.TeamId).Select(e => e.TargetName).ToListAsync();
        Assert.Contains("RECENT", left);
        Assert.DoesNotContain("OLD", left);
        Assert.True(removed["Audit"] >= 1);
    }

    [Fact]
    public async Task Wrong_settings_are_refused_naming_each_key()
    {
        await StartAsync(new() { ["Attemps"] = "30", ["Runs"] = "-1", ["Events"] = "a year", ["BatchSize"] = "0", ["Schedule"] = "daily" });

        var error = Assert.Throws<OptionsValidationException>(() => _services.Get<IOptions<RetentionOptions>>().Value);

        Assert.Contains("Retention:Attemps is not a retention setting", error.Message);
        Assert.Contains("Retention:Runs: '-1'", error.Message);
        Assert.Contains("Retention:Events: 'a year'", error.Message);
        Assert.Contains("Retention:BatchSize", error.Message);
        Assert.Contains("Retention:Schedule", error.Message);
    }
}

public class RetentionPostgresTests : RetentionTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
