using System.Text.Json;
using Automations.Data;
using Automations.Features.Artifacts;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Automations.Tests.Features.Artifacts;

public class ArtifactServiceTests : IAsyncLifetime
{
    /// <summary>The database these tests run on; <see cref="ArtifactServicePostgresTests"/> runs them all again on PostgreSQL.</summary>
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(provider: Provider);
        _team = await _services.CreateTeamAsync();
        await Artifacts.CreateProjectAsync(_team.Admin, _team.Slug, "vision", "Image models");
        await Artifacts.CreateCollectionAsync(_team.Member, _team.Slug, "vision", "eval-set", "dataset", null);
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private ArtifactService Artifacts => _services.Get<ArtifactService>();

    private Task<LoggedVersion> LogAsync(string? alias = null, string collection = "eval-set", Automations.Infrastructure.Actor? actor = null) =>
        Artifacts.LogVersionAsync(actor ?? _team.Member, _team.Slug, "vision", collection,
            new LogVersionRequest("d", JsonDocument.Parse("{\"accuracy\": 0.91, \"name\": \"x\"}").RootElement, [new ManifestEntry("data/a.csv", 12, "abc")], alias is null ? null : [alias]));

    [Fact]
    public async Task Versions_are_numbered_in_order_and_latest_follows_the_newest()
    {
        var v0 = await LogAsync();
        var v1 = await LogAsync();

        Assert.Equal(("v0", "v1"), (v0.Version.Version, v1.Version.Version));
        Assert.Equal(["latest"], v1.Version.Aliases);
        Assert.Empty((await Artifacts.GetVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0")).Aliases);
        var latest = await Artifacts.GetVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", "latest");
        Assert.Equal(1, latest.Index);
        Assert.Equal(0.91, latest.Metadata.GetProperty("accuracy").GetDouble());
        Assert.Equal("data/a.csv", Assert.Single(latest.Manifest!).Path);
        Assert.StartsWith("wandb-artifact://_id/", latest.Uri);
        Assert.Equal(2, (await Artifacts.GetCollectionAsync(_team.Member, _team.Slug, "vision", "eval-set")).VersionCount);
    }

    [Fact]
    public async Task Logging_a_version_stores_one_link_event_and_one_alias_event_per_alias_added()
    {
        await LogAsync(alias: "production");

        var events = (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Items.OrderBy(e => e.Id).ToList();

        Assert.Equal(
            [("LINK_ARTIFACT", (string?)null), ("ADD_ARTIFACT_ALIAS", "latest"), ("ADD_ARTIFACT_ALIAS", "production")],
            events.Select(e => (e.Type, e.Alias)));
        Assert.All(events, e => Assert.Equal(_team.Member.UserName, e.Author));
        Assert.All(events, e => Assert.Equal("v0", e.Version));
    }

    [Fact]
    public async Task Adding_an_alias_moves_it_and_records_an_event()
    {
        await LogAsync(alias: "production");
        await LogAsync();

        var moved = await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v1", "production");

        Assert.Contains("production", moved.Aliases);
        Assert.DoesNotContain("production", (await Artifacts.GetVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0")).Aliases);
        var newest = (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Items[0];
        Assert.Equal(("ADD_ARTIFACT_ALIAS", "production", "v1"), (newest.Type, newest.Alias, newest.Version));
    }

    [Fact]
    public async Task Adding_an_alias_the_version_already_has_changes_nothing()
    {
        await LogAsync(alias: "production");
        var before = (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total;

        await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "production");

        Assert.Equal(before, (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total);
    }

    [Fact]
    public async Task Removing_an_alias_records_no_event()
    {
        await LogAsync(alias: "staging");
        var before = (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total;

        var version = await Artifacts.RemoveAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "staging");

        Assert.DoesNotContain("staging", version.Aliases);
        Assert.Equal(before, (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total);
        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.RemoveAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "staging"));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("v3")]
    [InlineData("v10")]
    [InlineData("")]
    [InlineData("-dash-first")]
    [InlineData("a-very-long-alias-name-that-goes-on-and-on-and-on-past-sixty-four-chars")]
    public async Task Invalid_alias_is_refused_and_nothing_is_written(string alias)
    {
        await LogAsync();
        var before = (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total;

        var ex = await Assert.ThrowsAsync<InputException>(() => Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", alias));

        Assert.Equal("alias", ex.Field);
        Assert.Equal(before, (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total);
    }

    [Fact]
    public async Task Invalid_alias_in_a_log_request_writes_no_version()
    {
        var ex = await Assert.ThrowsAsync<InputException>(() => LogAsync(alias: "bad alias"));

        Assert.Equal("aliases", ex.Field);
        Assert.Equal(0, (await Artifacts.GetCollectionAsync(_team.Member, _team.Slug, "vision", "eval-set")).VersionCount);
        Assert.Equal(0, (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total);
    }

    [Fact]
    public async Task A_failing_listener_rolls_back_the_change_and_its_events()
    {
        await using var services = await TestServices.CreateAsync(configure: s => s.AddSingleton<IArtifactEventListener, ThrowingListener>(), provider: Provider);
        var team = await services.CreateTeamAsync("rollback");
        var artifacts = services.Get<ArtifactService>();
        await artifacts.CreateProjectAsync(team.Admin, team.Slug, "p", null);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            artifacts.LogVersionAsync(team.Admin, team.Slug, "p", "c", new LogVersionRequest(Type: "dataset")));

        await using var db = await services.DbFactory.CreateDbContextAsync();
        Assert.Equal(0, await db.ArtifactVersions.CountAsync());
        Assert.Equal(0, await db.ArtifactEvents.CountAsync());
        Assert.Equal(0, await db.ArtifactCollections.CountAsync());
    }

    [Fact]
    public async Task Logging_to_a_missing_collection_needs_a_type_and_then_creates_it()
    {
        await Assert.ThrowsAsync<NotFoundException>(() =>
            Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "new-model", new LogVersionRequest()));

        var logged = await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "new-model", new LogVersionRequest(Type: "model"));

        Assert.Equal(("model", "v0"), (logged.Version.CollectionType, logged.Version.Version));
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_result_and_creates_nothing_new()
    {
        var request = new LogVersionRequest("same", Aliases: ["candidate"]);
        var first = await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", request, "key-1");
        var again = await Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", request, "key-1");

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal(first.Version.Id, again.Version.Id);
        Assert.Equal(1, (await Artifacts.GetCollectionAsync(_team.Member, _team.Slug, "vision", "eval-set")).VersionCount);
        Assert.Equal(3, (await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision")).Total);
        await Assert.ThrowsAsync<ConflictException>(() =>
            Artifacts.LogVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", request with { Description = "other" }, "key-1"));
    }

    [Fact]
    public async Task Outsider_gets_not_found_and_members_may_change_artifacts()
    {
        await LogAsync();

        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.ListProjectsAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.GetVersionAsync(_team.Outsider, _team.Slug, "vision", "eval-set", "v0"));
        await Assert.ThrowsAsync<NotFoundException>(() => LogAsync(actor: _team.Outsider));
        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.AddAliasAsync(_team.Outsider, _team.Slug, "vision", "eval-set", "v0", "prod"));
        await Assert.ThrowsAsync<NotFoundException>(() => Artifacts.ListEventsAsync(_team.Outsider, _team.Slug, "vision"));
        await Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", "v0", "prod");
    }

    [Fact]
    public async Task Sixteen_concurrent_loggers_get_distinct_gap_free_indices_and_one_event_each()
    {
        var logs = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => LogAsync())));

        Assert.Equal(Enumerable.Range(0, 16), logs.Select(l => l.Version.Index).Order());
        await using var db = await _services.DbFactory.CreateDbContextAsync();
        Assert.Equal(16, await db.ArtifactEvents.CountAsync(e => e.Type == ArtifactEventTypes.LinkArtifact));
        Assert.Equal(16, await db.ArtifactEvents.Where(e => e.Type == ArtifactEventTypes.LinkArtifact).Select(e => e.VersionId).Distinct().CountAsync());
        Assert.Equal(1, await db.ArtifactAliases.CountAsync(a => a.Name == "latest"));
        Assert.Equal(15, (await db.ArtifactAliases.Include(a => a.Version).SingleAsync(a => a.Name == "latest")).Version.Index);
    }

    [Fact]
    public async Task Concurrent_alias_moves_leave_exactly_one_holder()
    {
        for (var i = 0; i < 8; i++)
        {
            await LogAsync();
        }

        await Task.WhenAll(Enumerable.Range(0, 8).SelectMany(i => new[]
        {
            Task.Run(() => Artifacts.AddAliasAsync(_team.Member, _team.Slug, "vision", "eval-set", $"v{i}", "production")),
            Task.Run(() => Artifacts.AddAliasAsync(_team.Admin, _team.Slug, "vision", "eval-set", $"v{7 - i}", "production")),
        }));

        await using var db = await _services.DbFactory.CreateDbContextAsync();
        Assert.Equal(1, await db.ArtifactAliases.CountAsync(a => a.Name == "production"));
        var holder = await Artifacts.GetVersionAsync(_team.Member, _team.Slug, "vision", "eval-set", "production");
        var lastEvent = await db.ArtifactEvents.Where(e => e.Alias == "production").OrderByDescending(e => e.Id).FirstAsync();
        Assert.Equal(holder.Index, (await db.ArtifactVersions.FindAsync(lastEvent.VersionId))!.Index);
    }

    [Fact]
    public async Task Events_are_listed_newest_first_in_pages()
    {
        for (var i = 0; i < 5; i++)
        {
            await LogAsync();
        }

        var page1 = await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision", new PageRequest(1, 4));
        var page3 = await Artifacts.ListEventsAsync(_team.Member, _team.Slug, "vision", new PageRequest(3, 4));

        Assert.Equal(10, page1.Total);
        Assert.Equal(4, page1.Items.Count);
        Assert.True(page1.Items.Zip(page1.Items.Skip(1)).All(p => p.First.Id > p.Second.Id));
        Assert.Equal(2, page3.Items.Count);
        Assert.Equal("v0", page3.Items[^1].Version);
    }

    private sealed class ThrowingListener : IArtifactEventListener
    {
        public Task<Action?> OnEventsAsync(Automations.Data.AppDbContext db, IReadOnlyList<ArtifactEvent> events, CancellationToken ct) =>
            throw new InvalidOperationException("listener failed");
    }
}

/// <summary>Every test of <see cref="ArtifactServiceTests"/>, on PostgreSQL.</summary>
public sealed class ArtifactServicePostgresTests : ArtifactServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
