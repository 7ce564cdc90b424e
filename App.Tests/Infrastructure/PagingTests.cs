using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Infrastructure;

/// <summary>Cursor paging and capped counts, over a real SQLite file (<see cref="PagingPostgresTests"/>: PostgreSQL).</summary>
public class PagingTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private TestServices _services = null!;

    public async ValueTask InitializeAsync() => _services = await TestServices.CreateAsync(provider: Provider);

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    /// <summary>Teams are the simplest rows with an increasing id: <paramref name="count"/> of them in one statement.</summary>
    private async Task InsertTeamsAsync(int count, string prefix)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var rows = Enumerable.Range(0, count).Select(i => new Team { Slug = $"{prefix}-{i}", Name = $"{prefix} {i}", CreatedAt = DateTimeOffset.UnixEpoch }).ToList();
        db.Teams.AddRange(rows);
        await db.SaveChangesAsync();
    }

    private async Task<Paged<long>> PageAsync(PageRequest request)
    {
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        return await db.Teams.Where(t => t.Slug.StartsWith("t-")).PageAsync(t => (long)t.Id, request, rows => rows.Select(t => (long)t.Id), id => id, default);
    }

    [Fact]
    public async Task Walking_by_cursor_sees_every_row_once_while_rows_are_added_between_pages()
    {
        await InsertTeamsAsync(95, "t");
        var seen = new List<long>();
        var request = new PageRequest(PageSize: 10);
        var pages = 0;
        while (true)
        {
            var page = await PageAsync(request);
            seen.AddRange(page.Items);
            pages++;
            // Newer rows arrive while the client pages: they are ahead of the cursor, never inside the walk.
            await InsertTeamsAsync(3, $"t-late{pages}");
            if (page.Next is null)
            {
                break;
            }

            Assert.Equal(page.Items[^1].ToString(System.Globalization.CultureInfo.InvariantCulture), page.Next);
            request = request with { After = page.Next };
        }

        Assert.Equal(10, pages);
        Assert.Equal(95, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Equal(seen.OrderByDescending(id => id), seen);
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        var original = await db.Teams.Where(t => t.Slug.StartsWith("t-") && !t.Slug.StartsWith("t-late")).Select(t => (long)t.Id).ToListAsync();
        Assert.Equal(original.OrderByDescending(id => id), seen);
    }

    [Fact]
    public async Task Counts_stop_at_the_cap_and_say_so()
    {
        await InsertTeamsAsync(Paging.CountCap + 25, "t");

        var page = await PageAsync(new PageRequest(PageSize: 25));

        Assert.Equal((Paging.CountCap, true), (page.Total, page.TotalCapped));
        Assert.Equal("10,000+", Paging.TotalText(page));
        Assert.Contains("10,000+", Paging.PagerInfo(page));
        Assert.Equal(25, page.Items.Count);
        Assert.NotNull(page.Next);
    }

    [Fact]
    public async Task A_count_under_the_cap_is_exact_and_the_last_page_has_no_cursor()
    {
        await InsertTeamsAsync(30, "t");

        var first = await PageAsync(new PageRequest(PageSize: 20));
        var second = await PageAsync(new PageRequest(Page: 2, PageSize: 20));

        Assert.Equal((30, false, 20), (first.Total, first.TotalCapped, first.Items.Count));
        Assert.Equal(first.Next, first.Items[^1].ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal((10, (string?)null), (second.Items.Count, second.Next));
        Assert.Equal("30", Paging.TotalText(second));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("99999999999999999999999")]
    public async Task A_cursor_the_list_did_not_give_out_is_refused_by_name(string cursor)
    {
        var error = await Assert.ThrowsAsync<InputException>(() => PageAsync(new PageRequest(After: cursor)));
        Assert.Equal("after", error.Field);
    }

    [Fact]
    public async Task The_events_list_pages_by_cursor_through_the_service()
    {
        var team = await _services.CreateTeamAsync();
        var artifacts = _services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "vision", null);
        for (var i = 0; i < 5; i++)
        {
            await artifacts.LogVersionAsync(team.Member, team.Slug, "vision", "eval-set", new LogVersionRequest(Type: "dataset"));
        }

        var first = await artifacts.ListEventsAsync(team.Member, team.Slug, "vision", new PageRequest(PageSize: 4));
        var rest = await artifacts.ListEventsAsync(team.Member, team.Slug, "vision", new PageRequest(PageSize: 4, After: first.Next));

        // Five versions: five LINK_ARTIFACT and five "latest" alias events.
        Assert.Equal(10, first.Total);
        Assert.Equal(10, first.Items.Concat(rest.Items).Concat((await artifacts.ListEventsAsync(team.Member, team.Slug, "vision", new PageRequest(PageSize: 4, After: rest.Next))).Items).Select(e => e.Id).Distinct().Count());
    }
}

public class PagingPostgresTests : PagingTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
