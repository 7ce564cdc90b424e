using Automations.Features.Audit;
using Automations.Data;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.ApiKeys;

/// <summary>A new team service key: what it may do (an agent key names its queue) and when it expires (a date or a number of days).</summary>
public sealed record ServiceKeyInput(string Name, KeyPermission Permission = KeyPermission.Read, string? Queue = null,
    DateTimeOffset? ExpiresAt = null, int? ExpiresInDays = null);

/// <summary>
/// A team's service keys: keys of the team, not of a person, so an agent or a CI job keeps working when the admin who set
/// it up leaves. They reach only their team, with their permission; team admins create and revoke them, members see the list.
/// </summary>
public sealed class ServiceKeyService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock)
{
    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(Actor actor, string team, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, team, ct);
        return await ApiKeyService.Summaries(db.ApiKeys.Where(k => k.TeamId == access.TeamId && k.UserId == null), ct);
    }

    public async Task<CreatedApiKey> CreateAsync(Actor actor, string team, ServiceKeyInput input, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireKeyAdminAsync(db, actor, team, ct);
        // A limited key (a team, a permission) cannot mint a key, as it cannot mint a personal one: the new key would
        // outlive the limited key's expiry and revocation.
        if (actor.Key is { IsServiceKey: false })
        {
            throw new ForbiddenException("A limited API key cannot create keys; a team admin creates service keys signed in, or with a personal key that has no limits.");
        }

        var now = clock.GetUtcNow();
        var scope = await KeyRules.ResolveAsync(db, actor, access.Slug, input.Permission, input.Queue, input.ExpiresAt, input.ExpiresInDays, now, ct);
        var (key, row) = ApiKeyService.Mint(input.Name, actor.UserName, now);
        (row.TeamId, row.Permission, row.QueueId, row.ExpiresAt) = (access.TeamId, input.Permission, scope.QueueId, scope.ExpiresAt);
        db.ApiKeys.Add(row);
        db.Record(clock, actor, access.TeamId, AuditActions.KeyCreated, AuditTarget.Of(AuditTargets.ApiKey, row.Prefix, row.Name),
            new { kind = "service key", permission = row.Permission.ToString(), queue = input.Queue, expiresAt = row.ExpiresAt });
        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return new CreatedApiKey((await ApiKeyService.Summaries(db.ApiKeys.Where(k => k.Id == row.Id), ct))[0], key);
    }

    /// <summary>Takes effect on the key's next request: keys are checked against the database every time.</summary>
    public async Task RevokeAsync(Actor actor, string team, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await RequireKeyAdminAsync(db, actor, team, ct);
        await ApiKeyService.RevokeAsync(db, db.ApiKeys.Where(k => k.Id == id && k.TeamId == access.TeamId && k.UserId == null), actor, clock, ct);
    }

    /// <summary>A team admin, and a person: a service key that could mint service keys would survive its own revocation.</summary>
    private static async Task<TeamAccess> RequireKeyAdminAsync(AppDbContext db, Actor actor, string team, CancellationToken ct)
    {
        var access = await TeamService.RequireAdminAsync(db, actor, team, ct);
        return actor.Key is { IsServiceKey: true }
            ? throw new ForbiddenException("A service key cannot create or revoke service keys; a team admin does, signed in or with a personal key.")
            : access;
    }
}
