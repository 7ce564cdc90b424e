using Automations.Features.Teams;
using Automations.Infrastructure;
using Automations.Tests.TestInfrastructure;

namespace Automations.Tests.Features.Teams;

public class TeamServiceTests : IAsyncLifetime
{
    private TestServices _services = null!;
    private TeamFixture _team = null!;

    public async ValueTask InitializeAsync()
    {
        _services = await TestServices.CreateAsync();
        _team = await _services.CreateTeamAsync();
    }

    public async ValueTask DisposeAsync() => await _services.DisposeAsync();

    private TeamService Teams => _services.Get<TeamService>();

    [Fact]
    public async Task Creator_becomes_admin_and_slug_is_derived_from_the_name()
    {
        var user = await _services.CreateUserAsync("founder");

        var team = await Teams.CreateAsync(user, "  ML Platform / Research! ");

        Assert.Equal("ml-platform-research", team.Slug);
        Assert.Equal(TeamRole.Admin, (await Teams.GetAccessAsync(user, team.Slug)).Role);
    }

    [Fact]
    public async Task Duplicate_slug_is_a_conflict()
    {
        var ex = await Assert.ThrowsAsync<ConflictException>(() => Teams.CreateAsync(_team.Admin, "Again", _team.Slug));
        Assert.Equal("slug", ex.Field);
    }

    [Fact]
    public async Task Outsider_gets_not_found_for_everything_of_the_team()
    {
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.GetAccessAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.ListMembersAsync(_team.Outsider, _team.Slug));
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.AddMemberAsync(_team.Outsider, _team.Slug, "x", TeamRole.Member));
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.RemoveMemberAsync(_team.Outsider, _team.Slug, _team.Member.UserId));
    }

    [Fact]
    public async Task Member_cannot_manage_members()
    {
        await Assert.ThrowsAsync<ForbiddenException>(() => Teams.AddMemberAsync(_team.Member, _team.Slug, _team.Outsider.UserName, TeamRole.Member));
        await Assert.ThrowsAsync<ForbiddenException>(() => Teams.ChangeRoleAsync(_team.Member, _team.Slug, _team.Member.UserId, TeamRole.Admin));
        await Assert.ThrowsAsync<ForbiddenException>(() => Teams.RemoveMemberAsync(_team.Member, _team.Slug, _team.Admin.UserId));
    }

    [Fact]
    public async Task Admin_adds_by_email_changes_role_and_removes()
    {
        var added = await Teams.AddMemberAsync(_team.Admin, _team.Slug, $"{_team.Outsider.UserName}@EXAMPLE.com", TeamRole.Member);
        Assert.Equal(_team.Outsider.UserId, added.UserId);

        await Teams.ChangeRoleAsync(_team.Admin, _team.Slug, added.UserId, TeamRole.Admin);
        Assert.True((await Teams.GetAccessAsync(_team.Outsider, _team.Slug)).IsAdmin);

        await Teams.RemoveMemberAsync(_team.Admin, _team.Slug, added.UserId);
        await Assert.ThrowsAsync<NotFoundException>(() => Teams.GetAccessAsync(_team.Outsider, _team.Slug));
    }

    [Fact]
    public async Task Unknown_user_and_duplicate_member_are_refused_with_the_field()
    {
        var unknown = await Assert.ThrowsAsync<InputException>(() => Teams.AddMemberAsync(_team.Admin, _team.Slug, "nobody@example.com", TeamRole.Member));
        Assert.Equal("user", unknown.Field);
        await Assert.ThrowsAsync<ConflictException>(() => Teams.AddMemberAsync(_team.Admin, _team.Slug, _team.Member.UserName, TeamRole.Member));
    }

    [Fact]
    public async Task The_last_admin_can_be_neither_demoted_nor_removed()
    {
        await Assert.ThrowsAsync<ConflictException>(() => Teams.ChangeRoleAsync(_team.Admin, _team.Slug, _team.Admin.UserId, TeamRole.Member));
        await Assert.ThrowsAsync<ConflictException>(() => Teams.RemoveMemberAsync(_team.Admin, _team.Slug, _team.Admin.UserId));

        await Teams.ChangeRoleAsync(_team.Admin, _team.Slug, _team.Member.UserId, TeamRole.Admin);
        await Teams.RemoveMemberAsync(_team.Admin, _team.Slug, _team.Admin.UserId);
        Assert.Single(await Teams.ListMembersAsync(_team.Member, _team.Slug));
    }

    [Fact]
    public async Task A_user_in_several_teams_sees_each_with_its_role()
    {
        await Teams.AddMemberAsync(_team.Outsider, $"{_team.Slug}-other", _team.Member.UserName, TeamRole.Admin);

        var mine = await Teams.ListMineAsync(_team.Member);

        Assert.Equal([TeamRole.Member, TeamRole.Admin], mine.OrderBy(t => t.Slug).Select(t => t.Role));
    }
}
