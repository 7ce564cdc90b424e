using System.Text.RegularExpressions;
using Automations.Data;
using Automations.Features.Audit;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Teams;

public sealed record TeamSummary(int Id, string Slug, string Name, TeamRole Role);

/// <summary>The caller's view of one team: which team, and in which role.</summary>
public sealed record TeamAccess(int TeamId, string Slug, string Name, TeamRole Role)
{
    public bool IsAdmin => Role == TeamRole.Admin;
}

public sealed record MemberSummary(string UserId, string UserName, string? Email, TeamRole Role, DateTimeOffset AddedAt);

public sealed partial class TeamService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock)
{
    public const int MaxNameLength = 100;
    public const int MaxSlugLength = 40;

    [GeneratedRegex("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")]
    private static partial Regex SlugPattern();

    public async Task<IReadOnlyList<TeamSummary>> ListMineAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (actor.Key is { IsServiceKey: true } service)
        {
            var role = ServiceKeyRole(service);
            return await db.Teams.Where(t => t.Id == service.TeamId).Select(t => new TeamSummary(t.Id, t.Slug, t.Name, role)).ToListAsync(ct);
        }

        var keyTeam = actor.Key?.TeamId;
        var teams = await db.TeamMembers
            .Where(m => m.UserId == actor.UserId && (keyTeam == null || m.TeamId == keyTeam))
            .OrderBy(m => m.Team.Name)
            .Select(m => new TeamSummary(m.TeamId, m.Team.Slug, m.Team.Name, m.Role))
            .ToListAsync(ct);
        return teams.Select(t => t with { Role = Capped(t.Role, actor.Key) }).ToList();
    }

    /// <summary>Any signed-in user may create a team; they become its first admin.</summary>
    public async Task<TeamSummary> CreateAsync(Actor actor, string name, string? slug = null, CancellationToken ct = default)
    {
        if (actor.Key is { TeamId: not null })
        {
            // A service key is nobody who could be the new team's admin; a personal key limited to one team stays in it.
            throw new ForbiddenException("A key limited to one team cannot create teams.");
        }

        name = TextRules.Require(name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length == 0)
        {
            throw new InputException("name", "Team name is required.");
        }
        if (name.Length > MaxNameLength)
        {
            throw new InputException("name", $"Team name must be at most {MaxNameLength} characters.");
        }

        slug = string.IsNullOrWhiteSpace(slug) ? Slugify(name) : slug.Trim();
        if (!SlugPattern().IsMatch(slug))
        {
            throw new InputException("slug", "Team slug must be 1-40 lower-case letters, digits or dashes, not starting or ending with a dash.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Teams.AnyAsync(t => t.Slug == slug, ct))
        {
            throw new ConflictException("slug", $"A team with the slug '{slug}' already exists.");
        }

        var now = clock.GetUtcNow();
        var team = new Team { Slug = slug, Name = name, CreatedAt = now };
        team.Members.Add(new TeamMember { UserId = actor.UserId, Role = TeamRole.Admin, AddedAt = now });
        db.Teams.Add(team);
        await db.SaveThenRecordAsync(() => db.Record(clock, actor, team.Id, AuditActions.TeamCreated, AuditTarget.Of(AuditTargets.Team, team.Slug, team.Name)), ct);
        return new TeamSummary(team.Id, team.Slug, team.Name, TeamRole.Admin);
    }

    /// <summary>The caller's access to a team; a team the caller is not in does not exist for them.</summary>
    public async Task<TeamAccess> GetAccessAsync(Actor actor, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await GetAccessAsync(db, actor, slug, ct);
    }

    /// <remarks>
    /// The one place an API key's limits meet team roles: a key limited to another team finds nothing (404, as for an
    /// outsider), a service key is its team's member with its own permission, and a personal key's permission lowers the
    /// user's role of the moment but never raises it.
    /// </remarks>
    internal static async Task<TeamAccess> GetAccessAsync(AppDbContext db, Actor actor, string slug, CancellationToken ct)
    {
        TeamAccess? access;
        if (actor.Key is { IsServiceKey: true } service)
        {
            var role = ServiceKeyRole(service);
            access = await db.Teams.Where(t => t.Id == service.TeamId && t.Slug == slug)
                .Select(t => new TeamAccess(t.Id, t.Slug, t.Name, role))
                .FirstOrDefaultAsync(ct);
        }
        else
        {
            var keyTeam = actor.Key?.TeamId;
            access = await db.TeamMembers
                .Where(m => m.UserId == actor.UserId && m.Team.Slug == slug && (keyTeam == null || m.TeamId == keyTeam))
                .Select(m => new TeamAccess(m.TeamId, m.Team.Slug, m.Team.Name, m.Role))
                .FirstOrDefaultAsync(ct);
            access = access is null ? null : access with { Role = Capped(access.Role, actor.Key) };
        }

        return access ?? throw new NotFoundException($"Team '{slug}' not found.");
    }

    internal static async Task<TeamAccess> RequireAdminAsync(AppDbContext db, Actor actor, string slug, CancellationToken ct)
    {
        var access = await GetAccessAsync(db, actor, slug, ct);
        if (access.IsAdmin)
        {
            return access;
        }

        throw actor.Key is { Permission: < KeyPermission.Admin } key
            ? new ForbiddenException($"This API key has the '{KeyScope.Name(key.Permission)}' permission; this call needs 'admin'.")
            : new ForbiddenException();
    }

    /// <summary>A personal key's permission below admin makes its user a plain member; admin and agent keep the user's role.</summary>
    internal static TeamRole Capped(TeamRole role, KeyScope? key) => key is { Permission: < KeyPermission.Admin } ? TeamRole.Member : role;

    /// <summary>An admin or agent service key acts with an admin's reach (an agent's is narrowed to its queue elsewhere).</summary>
    private static TeamRole ServiceKeyRole(KeyScope key) => key.Permission is KeyPermission.Admin or KeyPermission.Agent ? TeamRole.Admin : TeamRole.Member;

    public async Task<IReadOnlyList<MemberSummary>> ListMembersAsync(Actor actor, string slug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await GetAccessAsync(db, actor, slug, ct);
        return await db.TeamMembers
            .Where(m => m.TeamId == access.TeamId)
            .OrderBy(m => m.User.UserName)
            .Select(m => new MemberSummary(m.UserId, m.User.UserName ?? m.UserId, m.User.Email, m.Role, m.AddedAt))
            .ToListAsync(ct);
    }

    /// <summary>Adds an existing user, found by e-mail or user name.</summary>
    public async Task<MemberSummary> AddMemberAsync(Actor actor, string slug, string emailOrUserName, TeamRole role, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAdminAsync(db, actor, slug, ct);
        var key = (emailOrUserName ?? "").Trim().ToUpperInvariant();
        if (key.Length == 0)
        {
            throw new InputException("user", "Enter the e-mail or user name of an existing user.");
        }

        var user = await db.Users.FirstOrDefaultAsync(u => u.NormalizedEmail == key || u.NormalizedUserName == key, ct)
            ?? throw new InputException("user", $"No user '{emailOrUserName!.Trim()}' exists. They must register first.");
        if (await db.TeamMembers.AnyAsync(m => m.TeamId == access.TeamId && m.UserId == user.Id, ct))
        {
            throw new ConflictException("user", $"{user.UserName} is already a member of this team.");
        }

        var member = new TeamMember { TeamId = access.TeamId, UserId = user.Id, Role = role, AddedAt = clock.GetUtcNow() };
        db.TeamMembers.Add(member);
        db.Record(clock, actor, access.TeamId, AuditActions.MemberAdded, AuditTarget.Of(AuditTargets.Member, user.Id, user.UserName), new { role = role.ToString() });
        await db.SaveChangesAsync(ct);
        return new MemberSummary(user.Id, user.UserName ?? user.Id, user.Email, role, member.AddedAt);
    }

    public async Task ChangeRoleAsync(Actor actor, string slug, string userId, TeamRole role, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAdminAsync(db, actor, slug, ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        // "Another admin remains" holds only if two admins cannot demote each other at once, on two instances.
        await db.LockAsync($"team-members:{access.TeamId}", ct);
        var member = await db.TeamMembers.FirstOrDefaultAsync(m => m.TeamId == access.TeamId && m.UserId == userId, ct)
            ?? throw new NotFoundException("That user is not a member of this team.");
        if (member.Role == TeamRole.Admin && role != TeamRole.Admin)
        {
            await EnsureAnotherAdminAsync(db, access.TeamId, userId, ct);
        }

        var from = member.Role;
        if (from == role)
        {
            // Nothing changes, and the log records changes only.
            return;
        }

        member.Role = role;
        db.Record(clock, actor, access.TeamId, AuditActions.MemberRoleChanged, AuditTarget.Of(AuditTargets.Member, userId, await UserNameAsync(db, userId, ct)),
            new { role = new { from = from.ToString(), to = role.ToString() } });
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    public async Task RemoveMemberAsync(Actor actor, string slug, string userId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireAdminAsync(db, actor, slug, ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var member = await LockedMemberAsync(db, access.TeamId, userId, ct) ?? throw new NotFoundException("That user is not a member of this team.");
        if (member.Role == TeamRole.Admin)
        {
            await EnsureAnotherAdminAsync(db, access.TeamId, userId, ct);
        }

        await RemoveAsync(db, actor, member, reason: null, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Before an account is deleted: its owner leaves every team, each recorded in that team's log with their keys
    /// revoked, all or none. Refused while they are the only admin of a team with other members, who would be left with
    /// no one to run it; a team they are alone in is left empty, its log kept (there is no team deletion).
    /// </summary>
    public async Task LeaveAllTeamsAsync(Actor actor, string reason, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.BeginWriteTransactionAsync(ct);
        var teamIds = await db.TeamMembers.Where(m => m.UserId == actor.UserId).OrderBy(m => m.TeamId).Select(m => m.TeamId).ToListAsync(ct);
        foreach (var teamId in teamIds)
        {
            if (await LockedMemberAsync(db, teamId, actor.UserId, ct) is { } member)
            {
                if (member.Role == TeamRole.Admin && await db.TeamMembers.AnyAsync(m => m.TeamId == teamId && m.UserId != actor.UserId, ct))
                {
                    try
                    {
                        await EnsureAnotherAdminAsync(db, teamId, actor.UserId, ct);
                    }
                    catch (ConflictException)
                    {
                        var slug = await db.Teams.Where(t => t.Id == teamId).Select(t => t.Slug).SingleAsync(ct);
                        throw new ConflictException("teams", $"You are the only admin of team '{slug}', which has other members: make one of them an admin there first.");
                    }
                }

                await RemoveAsync(db, actor, member, reason, ct);
            }
        }

        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>The membership, with the team's members locked: "another admin remains" holds only if two admins cannot demote each other at once, on two instances.</summary>
    private static async Task<TeamMember?> LockedMemberAsync(AppDbContext db, int teamId, string userId, CancellationToken ct)
    {
        await db.LockAsync($"team-members:{teamId}", ct);
        return await db.TeamMembers.FirstOrDefaultAsync(m => m.TeamId == teamId && m.UserId == userId, ct);
    }

    /// <summary>Removes a membership and revokes the member's keys limited to that team; the caller checks an admin remains, and saves.</summary>
    private async Task RemoveAsync(AppDbContext db, Actor actor, TeamMember member, string? reason, CancellationToken ct)
    {
        db.TeamMembers.Remove(member);
        // Their personal keys limited to this team are revoked: re-adding them later must not bring old keys back to life.
        foreach (var key in await db.ApiKeys.Where(k => k.UserId == member.UserId && k.TeamId == member.TeamId && k.RevokedAt == null).ToListAsync(ct))
        {
            ApiKeys.ApiKeyService.Revoke(db, clock, actor, key, [member.TeamId], "its owner left the team");
        }

        db.Record(clock, actor, member.TeamId, AuditActions.MemberRemoved, AuditTarget.Of(AuditTargets.Member, member.UserId, await UserNameAsync(db, member.UserId, ct)),
            reason is null ? new { role = member.Role.ToString() } : new { role = member.Role.ToString(), reason });
    }

    private static async Task<string?> UserNameAsync(AppDbContext db, string userId, CancellationToken ct) =>
        await db.Users.Where(u => u.Id == userId).Select(u => u.UserName).FirstOrDefaultAsync(ct);

    private static async Task EnsureAnotherAdminAsync(AppDbContext db, int teamId, string userId, CancellationToken ct)
    {
        if (!await db.TeamMembers.AnyAsync(m => m.TeamId == teamId && m.UserId != userId && m.Role == TeamRole.Admin, ct))
        {
            throw new ConflictException("role", "A team must keep at least one admin.");
        }
    }

    internal static string Slugify(string name)
    {
        var chars = name.Trim().ToLowerInvariant().Select(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' ? c : '-').ToArray();
        var slug = Regex.Replace(new string(chars), "-{2,}", "-").Trim('-');
        if (slug.Length > MaxSlugLength)
        {
            slug = slug[..MaxSlugLength].TrimEnd('-');
        }

        return slug.Length == 0 ? "team" : slug;
    }
}
