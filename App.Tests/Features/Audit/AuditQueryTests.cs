using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Features.Audit;

/// <summary>Listing the audit log: admins only, its filters and its pages, on SQLite (<see cref="AuditQueryPostgresTests"/>: PostgreSQL).</summary>
public class AuditQueryTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(provider: Provider);
        _team = await _services.CreateTeamAsync();
        var teamId = (await _services.Get<TeamService>().GetAccessAsync(_team.Admin, _team.Slug)).TeamId;
        // Ten days, one entry a day, alternating actors and areas; the fixture's own entries are on the clock's day (Nov 27).
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        for (var day = 0; day < 10; day++)
        {
            var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Start.AddDays(day));
            var (actor, action, type) = day % 2 == 0
                ? (_team.Admin, AuditActions.WebhookUpdated, AuditTargets.Webhook)
                : (_team.Member, AuditActions.AutomationCreated, AuditTargets.Automation);
            db.Record(clock, actor, teamId, action, AuditTarget.Of(type, day, $"Target-{day} Deploy"));
        }

        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private Task<Paged<AuditEntryView>> ListAsync(AuditFilter filter, PageRequest? paging = null) =>
        _services.Get<AuditService>().ListAsync(_team.Admin, _team.Slug, filter, paging);

    [Fact]
    public async Task Only_admins_read_the_log_and_outsiders_do_not_see_the_team()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => _services.Get<AuditService>().ListAsync(_team.Member, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => _services.Get<AuditService>().ListAsync(_team.Outsider, _team.Slug));
    }

    [Fact]
    public async Task Filters_narrow_by_area_action_actor_target_type_days_and_target_name()
    {
        Assert.Equal(5, (await ListAsync(new AuditFilter(Action: "webhook"))).Total);
        Assert.Equal(5, (await ListAsync(new AuditFilter(Action: AuditActions.AutomationCreated))).Total);
        Assert.Equal(0, (await ListAsync(new AuditFilter(Action: "webhook.deleted"))).Total);
        Assert.All((await ListAsync(new AuditFilter(Actor: _team.Member.UserName))).Items, e => Assert.Equal(_team.Member.UserId, e.ActorUserId));
        Assert.Equal(5, (await ListAsync(new AuditFilter(TargetType: AuditTargets.Automation))).Total);
        var days = await ListAsync(new AuditFilter(From: Start.AddDays(2), To: Start.AddDays(5)));
        Assert.Equal(["Target-4 Deploy", "Target-3 Deploy", "Target-2 Deploy"], days.Items.Select(e => e.TargetName));
        Assert.Equal("Target-7 Deploy", Assert.Single((await ListAsync(new AuditFilter(Text: "target-7 dep"))).Items).TargetName);
        Assert.Equal(3, (await ListAsync(new AuditFilter(Action: "automation", From: Start.AddDays(4), Text: "deploy"))).Total);
    }

    [Fact]
    public async Task Bad_filters_name_the_field()
    {
        Assert.Equal("targetType", (await Assert.ThrowsAsync<InputException>(() => ListAsync(new AuditFilter(TargetType: "planet")))).Field);
        Assert.Equal("to", (await Assert.ThrowsAsync<InputException>(() => ListAsync(new AuditFilter(From: Start.AddDays(3), To: Start)))).Field);
    }

    [Fact]
    public async Task Pages_by_cursor_newest_first_without_repeating_a_row()
    {
        var seen = new List<long>();
        var request = new PageRequest(PageSize: 4);
        var filter = new AuditFilter(From: Start, To: Start.AddDays(10));
        Paged<AuditEntryView> page;
        do
        {
            page = await ListAsync(filter, request);
            Assert.Equal(10, page.Total);
            seen.AddRange(page.Items.Select(e => e.Id));
            request = request with { After = page.Next };
        }
        while (page.Next is not null);

        Assert.Equal(10, seen.Count);
        Assert.Equal(seen.OrderDescending(), seen);
    }
}

public class AuditQueryPostgresTests : AuditQueryTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
