using Automations.Data;
using Automations.Features.Audit;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.Secrets;

/// <summary>What anyone in the team may see of a secret: never its value.</summary>
public sealed record SecretSummary(int Id, string Name, string UpdatedBy, DateTimeOffset UpdatedAt, IReadOnlyList<string> UsedByWebhooks);

public sealed class SecretService(IDbContextFactory<AppDbContext> dbFactory, IDataProtectionProvider dataProtection, TimeProvider clock)
{
    public const int MaxNameLength = 64;
    public const int MaxValueLength = 8192;

    private readonly IDataProtector _protector = dataProtection.CreateProtector("Automations.TeamSecrets.v1");

    public async Task<IReadOnlyList<SecretSummary>> ListAsync(Actor actor, string teamSlug, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.GetAccessAsync(db, actor, teamSlug, ct);
        var secrets = await db.TeamSecrets.Where(s => s.TeamId == access.TeamId).OrderBy(s => s.Name)
            .Select(s => new { s.Id, s.Name, s.UpdatedBy, s.UpdatedAt }).ToListAsync(ct);
        var usage = await WebhookUsageAsync(db, access.TeamId, ct);
        return secrets.Select(s => new SecretSummary(s.Id, s.Name, s.UpdatedBy, s.UpdatedAt,
            usage.TryGetValue(s.Id, out var hooks) ? hooks : [])).ToList();
    }

    public async Task<SecretSummary> CreateAsync(Actor actor, string teamSlug, string name, string value, CancellationToken ct = default)
    {
        name = ValidateName(name);
        ValidateValue(value);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        if (await db.TeamSecrets.AnyAsync(s => s.TeamId == access.TeamId && s.Name == name, ct))
        {
            throw new ConflictException("name", $"A secret named '{name}' already exists in this team.");
        }

        var secret = new TeamSecret
        {
            TeamId = access.TeamId,
            Name = name,
            ProtectedValue = _protector.Protect(value),
            UpdatedBy = actor.UserName,
            UpdatedAt = clock.GetUtcNow(),
        };
        db.TeamSecrets.Add(secret);
        // Secrets are addressed by name; the value is never recorded.
        db.Record(clock, actor, access.TeamId, AuditActions.SecretCreated, AuditTarget.Of(AuditTargets.Secret, name, name));
        await db.SaveChangesAsync(ct);
        return new SecretSummary(secret.Id, secret.Name, secret.UpdatedBy, secret.UpdatedAt, []);
    }

    /// <summary>Writes a new value over an existing secret; the old value is gone.</summary>
    public async Task ReplaceAsync(Actor actor, string teamSlug, string name, string value, CancellationToken ct = default)
    {
        ValidateValue(value);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var secret = await db.TeamSecrets.FirstOrDefaultAsync(s => s.TeamId == access.TeamId && s.Name == name, ct)
            ?? throw new NotFoundException($"Secret '{name}' not found.");
        secret.ProtectedValue = _protector.Protect(value);
        secret.UpdatedBy = actor.UserName;
        secret.UpdatedAt = clock.GetUtcNow();
        db.Record(clock, actor, access.TeamId, AuditActions.SecretValueReplaced, AuditTarget.Of(AuditTargets.Secret, secret.Name, secret.Name));
        await db.SaveChangesAsync(ct);
    }

    public async Task DeleteAsync(Actor actor, string teamSlug, string name, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var access = await TeamService.RequireAdminAsync(db, actor, teamSlug, ct);
        var secret = await db.TeamSecrets.FirstOrDefaultAsync(s => s.TeamId == access.TeamId && s.Name == name, ct)
            ?? throw new NotFoundException($"Secret '{name}' not found.");
        var usage = await WebhookUsageAsync(db, access.TeamId, ct);
        if (usage.TryGetValue(secret.Id, out var hooks))
        {
            throw new ConflictException("name", $"Secret '{name}' is used by webhook(s): {string.Join(", ", hooks)}. Change those webhooks first.");
        }

        // The latest version of a job is what "latest" automations run; older versions that reference the
        // secret fail their runs with a clear message instead of blocking the deletion forever.
        var reference = "${" + name + "}";
        var jobs = await db.LaunchJobs.Where(j => j.TeamId == access.TeamId)
            .Select(j => new { j.Name, Latest = j.Versions.OrderByDescending(v => v.Number).Select(v => v.EnvironmentJson).FirstOrDefault() })
            .ToListAsync(ct);
        if (jobs.Where(j => j.Latest?.Contains(reference, StringComparison.Ordinal) == true).Select(j => j.Name).ToList() is { Count: > 0 } users)
        {
            throw new ConflictException("name", $"Secret '{name}' is used in the environment of job(s): {string.Join(", ", users)}. Add a version without it first.");
        }

        db.TeamSecrets.Remove(secret);
        db.Record(clock, actor, access.TeamId, AuditActions.SecretDeleted, AuditTarget.Of(AuditTargets.Secret, secret.Name, secret.Name));
        await db.SaveChangesAsync(ct);
    }

    /// <summary>The names of a team's secrets (what <c>${NAME}</c> may refer to), in the caller's context.</summary>
    public static async Task<HashSet<string>> NamesAsync(AppDbContext db, int teamId, CancellationToken ct) =>
        (await db.TeamSecrets.Where(s => s.TeamId == teamId).Select(s => s.Name).ToListAsync(ct)).ToHashSet(StringComparer.Ordinal);

    /// <summary>Decrypted values of a team's secrets, by name, for rendering and signing on the server only.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetValuesAsync(int teamId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.TeamSecrets.Where(s => s.TeamId == teamId).Select(s => new { s.Name, s.ProtectedValue }).ToListAsync(ct);
        return rows.ToDictionary(r => r.Name, r => _protector.Unprotect(r.ProtectedValue), StringComparer.Ordinal);
    }

    internal string Unprotect(string protectedValue) => _protector.Unprotect(protectedValue);

    /// <summary>Encrypts a credential kept outside the secrets table (a Slack integration's) with the same key.</summary>
    internal string Protect(string value) => _protector.Protect(value);

    private static async Task<Dictionary<int, List<string>>> WebhookUsageAsync(AppDbContext db, int teamId, CancellationToken ct)
    {
        var hooks = await db.Webhooks.Where(w => w.TeamId == teamId && (w.SecretId != null || w.AccessTokenSecretId != null))
            .Select(w => new { w.Name, w.SecretId, w.AccessTokenSecretId }).ToListAsync(ct);
        var usage = new Dictionary<int, List<string>>();
        foreach (var hook in hooks)
        {
            foreach (var id in new[] { hook.SecretId, hook.AccessTokenSecretId }.OfType<int>().Distinct())
            {
                if (!usage.TryGetValue(id, out var list))
                {
                    usage[id] = list = [];
                }
                list.Add(hook.Name);
            }
        }

        return usage;
    }

    private static string ValidateName(string name)
    {
        name = (name ?? "").Trim();
        if (name.Length == 0)
        {
            throw new InputException("name", "Secret name is required.");
        }
        if (name.Length > MaxNameLength || !SecretReferences.IsValidName(name))
        {
            throw new InputException("name", $"Secret name must start with a letter or underscore and contain only letters, digits and underscores (at most {MaxNameLength}), so that ${{NAME}} can reference it.");
        }

        return name;
    }

    private static void ValidateValue(string value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new InputException("value", "Secret value is required.");
        }

        TextRules.Require(value, "value");
        if (value.Length > MaxValueLength)
        {
            throw new InputException("value", $"Secret value must be at most {MaxValueLength} characters.");
        }
    }
}
