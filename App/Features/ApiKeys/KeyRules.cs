using System.Globalization;
using Automations.Data;
using Automations.Features.Teams;
using Automations.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Automations.Features.ApiKeys;

/// <summary>The checks a new key's limits pass, shared by personal and service keys.</summary>
internal static class KeyRules
{
    public const int MaxDays = 3650;

    public sealed record Resolved(int? TeamId, int? QueueId, DateTimeOffset? ExpiresAt);

    /// <summary>Resolves the team and queue names to rows the caller may see, and the expiry to a time.</summary>
    public static async Task<Resolved> ResolveAsync(AppDbContext db, Actor actor, string? team, KeyPermission permission, string? queue,
        DateTimeOffset? expiresAt, int? expiresInDays, DateTimeOffset now, CancellationToken ct)
    {
        if (!Enum.IsDefined(permission))
        {
            throw new InputException("permission", "Permission must be read, artifacts, member, admin or agent.");
        }

        var expiry = Expiry(expiresAt, expiresInDays, now);
        // A key that expires cannot make one that outlives it: a leaked short-lived key would otherwise last for ever.
        if (actor.KeyExpiresAt is { } callerEnds && (expiry is null || expiry > callerEnds))
        {
            throw new ForbiddenException(string.Create(CultureInfo.InvariantCulture,
                $"The API key you called with expires at {callerEnds:yyyy-MM-dd HH:mm} UTC: a key it creates must expire by then (set expiresAt or expiresInDays)."));
        }

        queue = string.IsNullOrWhiteSpace(queue) ? null : queue.Trim();
        if (permission != KeyPermission.Agent && queue is not null)
        {
            throw new InputException("queue", "Only an agent key names a queue.");
        }

        if (string.IsNullOrWhiteSpace(team))
        {
            return permission == KeyPermission.Agent
                ? throw new InputException("team", "An agent key serves one queue of one team: choose the team and the queue.")
                : new Resolved(null, null, expiry);
        }

        var access = await TeamService.GetAccessAsync(db, actor, team.Trim(), ct);
        if (permission != KeyPermission.Agent)
        {
            return new Resolved(access.TeamId, null, expiry);
        }

        if (!access.IsAdmin)
        {
            throw new ForbiddenException("Agents receive the secrets of the jobs they run: only a team admin may create an agent key.");
        }

        var queueId = await db.LaunchQueues.Where(q => q.TeamId == access.TeamId && q.Name == queue).Select(q => (int?)q.Id).FirstOrDefaultAsync(ct)
            ?? throw new InputException("queue", queue is null ? "An agent key serves one queue: choose it." : $"Team '{access.Slug}' has no queue '{TextRules.Shown(queue)}'.");
        return new Resolved(access.TeamId, queueId, expiry);
    }

    private static DateTimeOffset? Expiry(DateTimeOffset? expiresAt, int? expiresInDays, DateTimeOffset now)
    {
        if (expiresAt is not null && expiresInDays is not null)
        {
            throw new InputException("expiresAt", "Give either expiresAt or expiresInDays, not both.");
        }

        if (expiresInDays is { } days)
        {
            return days is >= 1 and <= MaxDays
                ? now.AddDays(days)
                : throw new InputException("expiresInDays", $"expiresInDays must be 1 to {MaxDays}.");
        }

        if (expiresAt is { } at && (at <= now || at > now.AddDays(MaxDays)))
        {
            throw new InputException("expiresAt", $"expiresAt must be in the future and within {MaxDays} days.");
        }

        return expiresAt?.ToUniversalTime();
    }
}
