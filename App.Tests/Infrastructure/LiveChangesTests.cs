using System.Collections.Concurrent;
using Automations.Data;
using Automations.Features.Dispatch;
using Automations.Infrastructure.Live;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Automations.Tests.Infrastructure;

/// <summary>
/// What open pages hear: committed changes of the rows they show, once per commit, never a rolled-back one, paced
/// (<see cref="LiveChangesPostgresTests"/>: the same on PostgreSQL, and between instances).
/// </summary>
public class LiveChangesTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    protected TestServices Services { get; private set; } = null!;

    private TeamFixture _team = null!;
    private int _teamId;

    private readonly ConcurrentQueue<Change> _heard = new();

    private ChangeFeed Feed => Services.Get<ChangeFeed>();

    public async ValueTask InitializeAsync()
    {
        Services = await TestServices.CreateAsync(new() { ["Outbound:AllowedHosts:0"] = "localhost" }, provider: Provider);
        Services.Resolver.Map("localhost", "127.0.0.1");
        _team = await Services.CreateTeamAsync();
        await using (var db = await Services.DbFactory.CreateDbContextAsync())
        {
            _teamId = await db.Teams.Where(t => t.Slug == _team.Slug).Select(t => t.Id).SingleAsync();
        }
        // The filter sees every published change: a recorder that asks for no refresh.
        Feed.Subscribe(change =>
        {
            _heard.Enqueue(change);
            return false;
        }, () => Task.CompletedTask);
    }

    public async ValueTask DisposeAsync() => await Services.DisposeAsync();

    [Fact]
    public async Task A_new_run_is_heard_with_its_team_project_and_automation_and_so_is_its_attempt()
    {
        var scenario = await Services.Provider.WebhookAutomationAsync(_team, "http://localhost:9/hook");
        _heard.Clear();

        await Services.Provider.LogVersionAsync(_team);

        var run = Assert.Single(_heard, c => c.Kind == ChangeKind.Run);
        var stored = await Services.StoredRunAsync(run.Id);
        Assert.Equal((_teamId, stored.ProjectId, scenario.AutomationId, scenario.WebhookId), (run.TeamId, run.ProjectId, run.AutomationId, run.WebhookId));

        _heard.Clear();
        await Services.DeliverAsync(run.Id);
        Assert.Contains(_heard, c => c.Kind == ChangeKind.Run && c.Id == run.Id);
    }

    [Fact]
    public async Task A_change_inside_a_transaction_is_heard_at_the_commit_and_a_rolled_back_one_never()
    {
        var scenario = await Services.Provider.WebhookAutomationAsync(_team, "http://localhost:9/hook");
        _heard.Clear();

        await using (var db = await Services.DbFactory.CreateDbContextAsync())
        {
            await using var tx = await db.BeginWriteTransactionAsync();
            var webhook = await db.Webhooks.SingleAsync(w => w.Id == scenario.WebhookId);
            webhook.Name = "Renamed";
            await db.SaveChangesAsync();
            Assert.Empty(_heard);
            await tx.CommitAsync();
        }

        Assert.Equal([new Change(ChangeKind.Webhook, _teamId, scenario.WebhookId, WebhookId: scenario.WebhookId)], _heard.ToArray());

        _heard.Clear();
        await using (var db = await Services.DbFactory.CreateDbContextAsync())
        {
            await using var tx = await db.BeginWriteTransactionAsync();
            var webhook = await db.Webhooks.SingleAsync(w => w.Id == scenario.WebhookId);
            webhook.Name = "Never";
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }

        Assert.Empty(_heard);
    }

    [Fact]
    public async Task A_redelivery_made_by_a_bulk_update_is_heard_too()
    {
        await Services.Provider.WebhookAutomationAsync(_team, "http://localhost:9/hook");
        await Services.Provider.LogVersionAsync(_team);
        var runId = Services.Queue.Enqueued.Last();
        await using (var db = await Services.DbFactory.CreateDbContextAsync())
        {
            await db.AutomationRuns.Where(r => r.Id == runId).ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, RunStatus.Failed));
        }

        _heard.Clear();
        await Services.Get<DispatchService>().RedeliverAsync(_team.Member, _team.Slug, "vision", runId);

        Assert.Contains(_heard, c => c.Kind == ChangeKind.Run && c.Id == runId && c.TeamId == _teamId);
    }

    [Fact]
    public async Task A_burst_of_changes_refreshes_a_page_once_or_twice_not_per_change()
    {
        var refreshes = 0;
        using var page = Feed.Subscribe(c => c.Is(ChangeKind.Run, _teamId), () =>
        {
            Interlocked.Increment(ref refreshes);
            return Task.CompletedTask;
        });
        using var otherTeam = Feed.Subscribe(c => c.Is(ChangeKind.Run, _teamId + 1000), () => throw new InvalidOperationException("not this team's page"));

        for (var i = 0; i < 200; i++)
        {
            Feed.Publish(new Change(ChangeKind.Run, _teamId, i));
        }

        await WaitUntilAsync(() => Volatile.Read(ref refreshes) >= 1);
        await Task.Delay(ChangeFeed.MinInterval * 1.5);
        Assert.InRange(Volatile.Read(ref refreshes), 1, 2);

        // Later changes refresh it again.
        var before = Volatile.Read(ref refreshes);
        Feed.Publish(new Change(ChangeKind.Run, _teamId, 500));
        await WaitUntilAsync(() => Volatile.Read(ref refreshes) > before);
    }

    [Fact]
    public async Task A_disposed_page_hears_nothing()
    {
        var refreshes = 0;
        var page = Feed.Subscribe(_ => true, () =>
        {
            Interlocked.Increment(ref refreshes);
            return Task.CompletedTask;
        });
        page.Dispose();

        Feed.Publish(new Change(ChangeKind.Run, _teamId));
        await Task.Delay(300);

        Assert.Equal(0, refreshes);
    }

    protected static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(20);
        }
    }
}

public class LiveChangesPostgresTests : LiveChangesTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;

    [Fact]
    public async Task Instances_sharing_a_database_hear_each_others_changes_once()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync();
        var (feedA, relayA) = Instance(connectionString);
        var (feedB, relayB) = Instance(connectionString);
        using var stop = new CancellationTokenSource();
        await relayA.StartAsync(stop.Token);
        await relayB.StartAsync(stop.Token);
        try
        {
            await WaitUntilAsync(() => relayA.Listening && relayB.Listening);
            var heardA = new ConcurrentQueue<Change>();
            var heardB = new ConcurrentQueue<Change>();
            feedA.Subscribe(c => Record(heardA, c), () => Task.CompletedTask);
            feedB.Subscribe(c => Record(heardB, c), () => Task.CompletedTask);

            var changes = Enumerable.Range(1, 300).Select(i => new Change(ChangeKind.Run, 7, i, ProjectId: 3, AutomationId: 11, WebhookId: 5)).ToList();
            feedA.Publish(changes);

            // Three hundred changes are more than one notification's payload: they arrive whole, in parts.
            await WaitUntilAsync(() => heardB.Count >= changes.Count);
            Assert.Equal(changes, heardB.OrderBy(c => c.Id));
            await Task.Delay(500);
            Assert.Equal(changes.Count, heardA.Count);
            Assert.Equal(changes.Count, heardB.Count);
        }
        finally
        {
            await stop.CancelAsync();
            await relayA.StopAsync(CancellationToken.None);
            await relayB.StopAsync(CancellationToken.None);
        }
    }

    private static bool Record(ConcurrentQueue<Change> heard, Change change)
    {
        heard.Enqueue(change);
        return false;
    }

    private static (ChangeFeed Feed, PostgresChangeRelay Relay) Instance(string connectionString)
    {
        var feed = new ChangeFeed(NullLogger<ChangeFeed>.Instance);
        return (feed, new PostgresChangeRelay(feed, connectionString, NullLogger<PostgresChangeRelay>.Instance));
    }
}
