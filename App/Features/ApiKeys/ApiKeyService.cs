using Automations.Features.Audit;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Automations.Data;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.ApiKeys;

/// <summary>A key as lists show it: never the key itself. <see cref="Team"/> is the slug of the one team it reaches, if limited.</summary>
public sealed record ApiKeySummary(int Id, string Name, string Prefix, string? Team, KeyPermission Permission, string? Queue, string CreatedBy,
    DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The key in clear, returned once at creation.</summary>
public sealed record CreatedApiKey(ApiKeySummary Summary, string Key);

/// <summary>
/// A new personal key. Without <see cref="Team"/> it reaches every team of its user; <see cref="Permission"/> admin means
/// "whatever the user may do" (never more: the user's role is read on every request). Expiry: a date, or a number of days.
/// </summary>
public sealed record ApiKeyInput(string Name, string? Team = null, KeyPermission Permission = KeyPermission.Admin, string? Queue = null,
    DateTimeOffset? ExpiresAt = null, int? ExpiresInDays = null);

/// <summary>The result of checking a presented key: the caller, or why a real key was refused (revoked, expired), or neither for a wrong key.</summary>
public sealed record KeyCheck(Actor? Actor, string? Refusal = null)
{
    public static readonly KeyCheck Unknown = new(Actor: null);
}

/// <summary>Personal API keys, and authenticating every key (personal or service) on each API request.</summary>
public sealed class ApiKeyService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock)
{
    private const string KeyPrefix = "ak_";

    /// <summary>
    /// Last use is written at most once per key per window: a conditional update that matches only a stale time, so a
    /// busy key costs one write per window (on any number of instances), not one per request.
    /// </summary>
    public static readonly TimeSpan LastUseWindow = TimeSpan.FromMinutes(5);

    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        RefuseTeamLimitedKey(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Summaries(db.ApiKeys.Where(k => k.UserId == actor.UserId), ct);
    }

    public Task<CreatedApiKey> CreateAsync(Actor actor, string name, CancellationToken ct = default) => CreateAsync(actor, new ApiKeyInput(name), ct);

    public async Task<CreatedApiKey> CreateAsync(Actor actor, ApiKeyInput input, CancellationToken ct = default)
    {
        // A key cannot mint keys: a leaked key would otherwise outlive its own revocation.
        if (actor.Key is not null)
        {
            throw new ForbiddenException("Create API keys on your account page, signed in; a limited key cannot create keys.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var scope = await KeyRules.ResolveAsync(db, actor, input.Team, input.Permission, input.Queue, input.ExpiresAt, input.ExpiresInDays, clock.GetUtcNow(), ct);
        var (key, row) = Mint(input.Name, actor.UserName, clock.GetUtcNow());
        (row.UserId, row.TeamId, row.Permission, row.QueueId, row.ExpiresAt) = (actor.UserId, scope.TeamId, input.Permission, scope.QueueId, scope.ExpiresAt);
        db.ApiKeys.Add(row);
        // A personal key acts in its team, or in every team of its owner: their admins see it made in the audit log.
        foreach (var teamId in await TeamsReachedAsync(db, row, ct))
        {
            db.Record(clock, actor, teamId, AuditActions.KeyCreated, AuditTarget.Of(AuditTargets.ApiKey, row.Prefix, row.Name),
                new { kind = "personal key", permission = row.Permission.ToString(), queue = input.Queue, expiresAt = row.ExpiresAt, allTeams = row.TeamId is null });
        }

        await using (var tx = await db.BeginWriteTransactionAsync(ct))
        {
            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        return new CreatedApiKey((await Summaries(db.ApiKeys.Where(k => k.Id == row.Id), ct))[0], key);
    }

    public async Task RevokeAsync(Actor actor, int id, CancellationToken ct = default)
    {
        RefuseTeamLimitedKey(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await RevokeAsync(db, db.ApiKeys.Where(k => k.Id == id && k.UserId == actor.UserId), actor, clock, ct);
    }

    /// <summary>
    /// Who a key acts as, with its limits. Nothing is cached, so a revocation or a role change holds from the next request on.
    /// </summary>
    public async Task<KeyCheck> AuthenticateAsync(string key, CancellationToken ct = default)
    {
        var separator = key.IndexOf('_', KeyPrefix.Length);
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || separator < 0 || key.Length > 200)
        {
            return KeyCheck.Unknown;
        }

        var prefix = key[..separator];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.ApiKeys.AsNoTracking().Include(k => k.User).FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
        if (row is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.Hash), Encoding.ASCII.GetBytes(HashKey(key))))
        {
            return KeyCheck.Unknown;
        }

        // Only the holder of the whole key gets here, so saying why it fails tells a guesser nothing.
        var now = clock.GetUtcNow();
        if (row.RevokedAt is { } revoked)
        {
            return new KeyCheck(null, string.Create(CultureInfo.InvariantCulture, $"The API key {row.Prefix}… was revoked at {revoked:yyyy-MM-dd HH:mm} UTC."));
        }

        if (row.ExpiresAt is { } expires && expires <= now)
        {
            return new KeyCheck(null, string.Create(CultureInfo.InvariantCulture, $"The API key {row.Prefix}… expired at {expires:yyyy-MM-dd HH:mm} UTC. Create a new one."));
        }

        await RecordUseAsync(db, row, now, ct);
        var actor = row.User is { } user
            ? new Actor(user.Id, user.UserName ?? user.Id, user.IsInstanceAdmin && CarriesInstanceAdmin(row))
            : new Actor($"service-key:{row.Id}", $"{row.Name} (service key)");
        // The key's public prefix says which key made a change (audit log); the key itself is never kept.
        return new KeyCheck(actor with { Key = row.Scope(), Origin = new ActorOrigin(null, null, ActorOrigin.ApiKey(row.Prefix)), KeyExpiresAt = row.ExpiresAt });
    }

    /// <summary>Instance-wide rights (the metrics endpoint) stay with keys that are not limited to a team or to the agent protocol.</summary>
    private static bool CarriesInstanceAdmin(ApiKey key) => key.TeamId is null && key.Permission != KeyPermission.Agent;

    private static async Task RecordUseAsync(AppDbContext db, ApiKey row, DateTimeOffset now, CancellationToken ct)
    {
        var staleBefore = now - LastUseWindow;
        if (row.LastUsedAt is { } last && last > staleBefore)
        {
            return;
        }

        // Conditional: of several requests (or instances) that all saw a stale time, one writes; the rest match no row.
        await db.WriteStatementAsync(() => db.ApiKeys.Where(k => k.Id == row.Id && (k.LastUsedAt == null || k.LastUsedAt <= staleBefore))
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.LastUsedAt, now), ct), ct);
    }

    /// <summary>A new key row (name checked) and the key in clear; the caller fills in whose it is and what it may do.</summary>
    internal static (string Key, ApiKey Row) Mint(string? name, string createdBy, DateTimeOffset now)
    {
        name = TextRules.Require(name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length is 0 or > ApiKey.MaxNameLength)
        {
            throw new InputException("name", $"Give the key a name of 1 to {ApiKey.MaxNameLength} characters (for example the script or machine that uses it).");
        }

        var id = Base62(RandomNumberGenerator.GetBytes(6))[..8];
        var secret = Base62(RandomNumberGenerator.GetBytes(24));
        var key = $"{KeyPrefix}{id}_{secret}";
        return (key, new ApiKey { Name = name, Prefix = $"{KeyPrefix}{id}", Hash = HashKey(key), CreatedBy = createdBy, CreatedAt = now });
    }

    internal static async Task RevokeAsync(AppDbContext db, IQueryable<ApiKey> keys, Actor actor, TimeProvider clock, CancellationToken ct)
    {
        var key = await keys.FirstOrDefaultAsync(ct) ?? throw new NotFoundException("API key not found.");
        if (key.RevokedAt is null)
        {
            Revoke(db, clock, actor, key, await TeamsReachedAsync(db, key, ct));
        }

        await using var tx = await db.BeginWriteTransactionAsync(ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    /// <summary>
    /// Revokes a key in the change being saved with <paramref name="db"/>, with a <c>key.revoked</c> entry in each of
    /// <paramref name="teamIds"/>' logs, saying why when something other than its own revocation did it. A key already
    /// revoked is left as it is, and recorded nowhere again.
    /// </summary>
    internal static void Revoke(AppDbContext db, TimeProvider clock, Actor actor, ApiKey key, IEnumerable<int> teamIds, string? reason = null)
    {
        if (key.RevokedAt is not null)
        {
            return;
        }

        key.RevokedAt = clock.GetUtcNow();
        foreach (var teamId in teamIds)
        {
            db.Record(clock, actor, teamId, AuditActions.KeyRevoked, AuditTarget.Of(AuditTargets.ApiKey, key.Prefix, key.Name), reason is null ? null : new { reason });
        }
    }

    /// <summary>The teams whose audit log records a key: its own team, or every team its owner belongs to now.</summary>
    private static async Task<IReadOnlyList<int>> TeamsReachedAsync(AppDbContext db, ApiKey key, CancellationToken ct) =>
        key.TeamId is { } teamId ? [teamId]
            : await db.TeamMembers.Where(m => m.UserId == key.UserId).Select(m => m.TeamId).ToListAsync(ct);

    internal static async Task<IReadOnlyList<ApiKeySummary>> Summaries(IQueryable<ApiKey> keys, CancellationToken ct)
    {
        var list = await keys.Select(k => new ApiKeySummary(k.Id, k.Name, k.Prefix, k.Team == null ? null : k.Team.Slug, k.Permission,
            k.Queue == null ? null : k.Queue.Name, k.CreatedBy, k.CreatedAt, k.ExpiresAt, k.LastUsedAt, k.RevokedAt)).ToListAsync(ct);
        return list.OrderByDescending(k => k.CreatedAt).ToList();
    }

    /// <summary>A key limited to one team must not manage its user's other keys (it could revoke the keys of other teams).</summary>
    private static void RefuseTeamLimitedKey(Actor actor)
    {
        if (actor.Key is { TeamId: not null } or { IsServiceKey: true })
        {
            throw new ForbiddenException("A key limited to one team cannot list or revoke your API keys.");
        }
    }

    private static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base62(byte[] bytes)
    {
        const string alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        var value = new System.Numerics.BigInteger(bytes, isUnsigned: true);
        var sb = new StringBuilder();
        while (value > 0)
        {
            sb.Insert(0, alphabet[(int)(value % 62)]);
            value /= 62;
        }

        return sb.ToString().PadLeft(8, '0');
    }
}
