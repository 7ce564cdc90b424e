using System.Security.Cryptography;
using System.Text;
using Automations.Data;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.ApiKeys;

public sealed record ApiKeySummary(int Id, string Name, string Prefix, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>The key in clear, returned once at creation.</summary>
public sealed record CreatedApiKey(ApiKeySummary Summary, string Key);

public sealed class ApiKeyService(IDbContextFactory<AppDbContext> dbFactory, TimeProvider clock)
{
    private const string KeyPrefix = "ak_";

    /// <summary>Last-used time is written at most this often per key, so API calls do not all write.</summary>
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<ApiKeySummary>> ListAsync(Actor actor, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keys = await db.ApiKeys.Where(k => k.UserId == actor.UserId).ToListAsync(ct);
        return keys.OrderByDescending(k => k.CreatedAt).Select(ToSummary).ToList();
    }

    public async Task<CreatedApiKey> CreateAsync(Actor actor, string name, CancellationToken ct = default)
    {
        name = TextRules.Require(name, "name", multiline: false)?.Trim() ?? "";
        if (name.Length is 0 or > 100)
        {
            throw new InputException("name", "Give the key a name of 1 to 100 characters (for example the script or machine that uses it).");
        }

        var id = Base62(RandomNumberGenerator.GetBytes(6))[..8];
        var secret = Base62(RandomNumberGenerator.GetBytes(24));
        var key = $"{KeyPrefix}{id}_{secret}";
        var apiKey = new ApiKey
        {
            UserId = actor.UserId,
            Name = name,
            Prefix = $"{KeyPrefix}{id}",
            Hash = HashKey(key),
            CreatedAt = clock.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ApiKeys.Add(apiKey);
        await db.SaveChangesAsync(ct);
        return new CreatedApiKey(ToSummary(apiKey), key);
    }

    public async Task RevokeAsync(Actor actor, int id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.UserId == actor.UserId, ct)
            ?? throw new NotFoundException("API key not found.");
        key.RevokedAt ??= clock.GetUtcNow();
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The user a key belongs to, or null for an unknown, malformed or revoked key.</summary>
    public async Task<Actor?> AuthenticateAsync(string key, CancellationToken ct = default)
    {
        var separator = key.IndexOf('_', KeyPrefix.Length);
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || separator < 0 || key.Length > 200)
        {
            return null;
        }

        var prefix = key[..separator];
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await db.ApiKeys.Include(k => k.User).FirstOrDefaultAsync(k => k.Prefix == prefix, ct);
        if (row is null || row.RevokedAt is not null
            || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.Hash), Encoding.ASCII.GetBytes(HashKey(key))))
        {
            return null;
        }

        var now = clock.GetUtcNow();
        if (row.LastUsedAt is null || now - row.LastUsedAt > LastUsedResolution)
        {
            row.LastUsedAt = now;
            await db.SaveChangesAsync(ct);
        }

        // The key's public prefix says which key made a change (audit log); the key itself is never kept.
        return new Actor(row.UserId, row.User.UserName ?? row.UserId, row.User.IsInstanceAdmin) { Origin = new ActorOrigin(null, null, ActorOrigin.ApiKey(row.Prefix)) };
    }

    private static string HashKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static ApiKeySummary ToSummary(ApiKey k) => new(k.Id, k.Name, k.Prefix, k.CreatedAt, k.LastUsedAt, k.RevokedAt);

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
