using Automations.Infrastructure;

namespace Automations.Features.ApiKeys;

/// <summary>How pages name a key's permission and expiry.</summary>
public static class KeyLabels
{
    public static readonly IReadOnlyList<(int Days, string Label)> ExpiryChoices =
        [(0, "Never"), (7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")];

    public static string Describe(KeyPermission permission) => permission switch
    {
        KeyPermission.Read => "Read only",
        KeyPermission.Artifacts => "Log artifacts",
        KeyPermission.Member => "Member",
        KeyPermission.Admin => "Admin",
        KeyPermission.Agent => "Agent (one queue)",
        _ => permission.ToString(),
    };

    /// <summary>What a list shows in the permission column: the permission, and an agent key's queue.</summary>
    public static string Describe(ApiKeySummary key) => key.Queue is { } queue ? $"Agent for queue {queue}" : Describe(key.Permission);

    public static string Status(ApiKeySummary key, DateTimeOffset now) =>
        key.RevokedAt is not null ? "revoked" : key.ExpiresAt is { } at && at <= now ? "expired" : "active";
}
