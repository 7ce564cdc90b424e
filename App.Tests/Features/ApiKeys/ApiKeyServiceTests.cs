using Automations.Features.ApiKeys;
using Automations.Features.Teams;
using Automations.Data;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Tests.Features.ApiKeys;

/// <summary>Key limits at the service level; <see cref="ApiKeyServicePostgresTests"/> runs them again on PostgreSQL.</summary>
public class ApiKeyServiceTests : IAsyncLifetime
{
    protected virtual DatabaseProvider Provider => DatabaseProvider.Sqlite;

    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync(provider: Provider);
        _team = await _services.CreateTeamAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private ApiKeyService Keys => _services.Get<ApiKeyService>();

    [Fact]
    public async Task Only_a_key_without_team_or_agent_limits_carries_the_instance_admin_right()
    {
        await using (var db = await _services.DbFactory.CreateDbContextAsync())
        {
            await db.Users.Where(u => u.Id == _team.Admin.UserId).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsInstanceAdmin, true));
        }

        async Task<bool> InstanceAdminAsync(ApiKeyInput input) =>
            (await Keys.AuthenticateAsync((await Keys.CreateAsync(_team.Admin, input)).Key)).Actor!.IsInstanceAdmin;

        Assert.True(await InstanceAdminAsync(new ApiKeyInput("all")));
        Assert.True(await InstanceAdminAsync(new ApiKeyInput("scraper", Permission: KeyPermission.Read)));
        Assert.False(await InstanceAdminAsync(new ApiKeyInput("one team", _team.Slug)));
    }

    [Fact]
    public async Task Limits_that_do_not_fit_together_are_refused_naming_the_field()
    {
        var now = _services.Clock.GetUtcNow();
        var cases = new (ApiKeyInput Input, string Field)[]
        {
            (new ApiKeyInput("k", Queue: "gpu"), "queue"),
            (new ApiKeyInput("k", Permission: KeyPermission.Agent), "team"),
            (new ApiKeyInput("k", _team.Slug, KeyPermission.Agent), "queue"),
            (new ApiKeyInput("k", ExpiresAt: now.AddDays(1), ExpiresInDays: 1), "expiresAt"),
            (new ApiKeyInput("k", ExpiresAt: now.AddMinutes(-1)), "expiresAt"),
            (new ApiKeyInput("k", ExpiresInDays: 0), "expiresInDays"),
            (new ApiKeyInput("k", Permission: (KeyPermission)42), "permission"),
            (new ApiKeyInput(" "), "name"),
        };
        foreach (var (input, field) in cases)
        {
            Assert.Equal(field, (await Assert.ThrowsAsync<InputException>(() => Keys.CreateAsync(_team.Admin, input))).Field);
        }

        await Assert.ThrowsAsync<NotFoundException>(() => Keys.CreateAsync(_team.Outsider, new ApiKeyInput("k", _team.Slug)));
        Assert.Empty(await Keys.ListAsync(_team.Admin));
    }

    [Fact]
    public async Task A_key_cannot_create_keys_and_a_team_limited_key_cannot_manage_its_users_keys()
    {
        var limited = (await Keys.AuthenticateAsync((await Keys.CreateAsync(_team.Admin, new ApiKeyInput("one team", _team.Slug))).Key)).Actor!;

        await Assert.ThrowsAsync<ForbiddenException>(() => Keys.CreateAsync(limited, new ApiKeyInput("more")));
        await Assert.ThrowsAsync<ForbiddenException>(() => Keys.ListAsync(limited));
        var id = (await Keys.ListAsync(_team.Admin)).Single().Id;
        await Assert.ThrowsAsync<ForbiddenException>(() => Keys.RevokeAsync(limited, id));
        Assert.Null((await Keys.ListAsync(_team.Admin)).Single().RevokedAt);
    }

    [Fact]
    public async Task A_service_key_reaches_its_team_with_its_permission_and_records_use_once_per_window()
    {
        var created = await _services.Get<ServiceKeyService>().CreateAsync(_team.Admin, _team.Slug, new ServiceKeyInput("ci", KeyPermission.Member));
        var teams = _services.Get<TeamService>();

        var actor = (await Keys.AuthenticateAsync(created.Key)).Actor!;
        Assert.Equal(TeamRole.Member, (await teams.GetAccessAsync(actor, _team.Slug)).Role);
        await Assert.ThrowsAsync<NotFoundException>(() => teams.GetAccessAsync(actor, $"{_team.Slug}-other"));
        Assert.Equal([_team.Slug], (await teams.ListMineAsync(actor)).Select(t => t.Slug));

        var first = _services.Clock.GetUtcNow();
        _services.Clock.Advance(ApiKeyService.LastUseWindow - TimeSpan.FromSeconds(1));
        await Keys.AuthenticateAsync(created.Key);
        Assert.Equal(first, (await _services.Get<ServiceKeyService>().ListAsync(_team.Admin, _team.Slug)).Single().LastUsedAt);
        _services.Clock.Advance(TimeSpan.FromSeconds(1));
        await Keys.AuthenticateAsync(created.Key);
        Assert.Equal(first + ApiKeyService.LastUseWindow, (await _services.Get<ServiceKeyService>().ListAsync(_team.Admin, _team.Slug)).Single().LastUsedAt);
    }
}

/// <summary>Every test of <see cref="ApiKeyServiceTests"/>, on PostgreSQL.</summary>
public sealed class ApiKeyServicePostgresTests : ApiKeyServiceTests
{
    protected override DatabaseProvider Provider => DatabaseProvider.Postgres;
}
